/**
 * The shared harness of the Chromium tests. `useBrowserHarness()` in a test file
 * registers hooks that, once per file, launch Debian's Chromium headless (a fresh
 * temporary profile per launch), serve the Vite-built test pages from 127.0.0.1 and
 * start the real `pulsesync-server` behind a counting proxy; everything is torn down
 * after the file.
 *
 *     const h = useBrowserHarness();
 *     it('…', async () => {
 *       const { page } = await h.newDevice();          // a context = a device
 *       await page.evaluate(…window API of the page…);
 *       expect(h.server.proxy.count('push')).toBe(1);
 *     });
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium, type HeadlessChromium } from '../../tools/chromium.ts';
import '../browser/pages/page-api.ts';
import { serveTestPages, type TestPages } from './pages.ts';
import { startTestServer, type TestServer } from './test-server.ts';

/** A device: a browser context (own storage, own network switch) and its first page. */
export interface Device {
  readonly context: BrowserContext;
  readonly page: Page;
}

/** What a browser test file gets. */
export interface BrowserHarness {
  readonly browser: Browser;
  readonly pages: TestPages;
  /** The server behind its counting proxy; throws if the file asked for none. */
  readonly server: TestServer;
  /** A new context with `pageName` (default `client`) open and ready. */
  newDevice(pageName?: string): Promise<Device>;
  /** Opens `pageName` in `context` (another tab) and waits until its API is there. */
  openPage(context: BrowserContext, pageName?: string): Promise<Page>;
  /**
   * Reloads `page` — the hard way to kill its workers mid-flight: the document goes,
   * its workers are terminated, open IndexedDB transactions abort — and waits until
   * the page's API is back.
   */
  reload(page: Page): Promise<void>;
  /** Errors thrown in a page (uncaught) since it opened, for failure messages. */
  pageErrors(page: Page): readonly string[];
}

/** Options of {@link useBrowserHarness}. */
export interface HarnessOptions {
  /** Start a pulsesync-server for the file. Default true. */
  readonly server?: boolean;
}

interface Running {
  chromium: HeadlessChromium;
  pages: TestPages;
  server: TestServer | undefined;
}

/** Registers beforeAll/afterAll hooks for this test file; see the module comment. */
export function useBrowserHarness(options: HarnessOptions = {}): BrowserHarness {
  let running: Running | undefined;
  const contexts = new Set<BrowserContext>();
  const errors = new WeakMap<Page, string[]>();

  beforeAll(async () => {
    const [chromium, pages, server] = await Promise.allSettled([
      launchChromium(),
      serveTestPages(),
      options.server === false ? Promise.resolve(undefined) : startTestServer(),
    ]);
    if (chromium.status === 'fulfilled' && pages.status === 'fulfilled' && server.status === 'fulfilled') {
      running = { chromium: chromium.value, pages: pages.value, server: server.value };
      return;
    }
    // Stop whatever did start, then report the first failure.
    if (chromium.status === 'fulfilled') await chromium.value.close();
    if (pages.status === 'fulfilled') await pages.value.close();
    if (server.status === 'fulfilled') await server.value?.stop();
    for (const outcome of [chromium, pages, server]) if (outcome.status === 'rejected') throw outcome.reason;
  }, 120_000);

  afterAll(async () => {
    if (running === undefined) return;
    const { chromium, pages, server } = running;
    running = undefined;
    for (const context of contexts) await context.close().catch(() => undefined);
    await chromium.close();
    await pages.close();
    await server?.stop();
  }, 60_000);

  const ready = (): Running => {
    if (running === undefined) throw new Error('the browser harness is not running (used outside a test?)');
    return running;
  };

  const untilReady = async (page: Page): Promise<void> => {
    try {
      await page.waitForFunction(() => window.testPageReady === true, undefined, { timeout: 15_000 });
    } catch (error) {
      const seen = errors.get(page) ?? [];
      throw new Error(`${page.url()} never became ready; page errors: ${seen.join('\n') || 'none'}`, { cause: error });
    }
  };

  const openPage = async (context: BrowserContext, pageName = 'client'): Promise<Page> => {
    const page = await context.newPage();
    const seen: string[] = [];
    errors.set(page, seen);
    page.on('pageerror', (error) => seen.push(error.stack ?? error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') seen.push(`console.error: ${message.text()} (${message.location().url})`);
    });
    await page.goto(`${ready().pages.url}${pageName}.html`);
    await untilReady(page);
    return page;
  };

  return {
    get browser() {
      return ready().chromium.browser;
    },
    get pages() {
      return ready().pages;
    },
    get server() {
      const { server } = ready();
      if (server === undefined) throw new Error('this test file started no server (useBrowserHarness({ server: false }))');
      return server;
    },
    async newDevice(pageName) {
      const context = await ready().chromium.newContext();
      contexts.add(context);
      context.once('close', () => contexts.delete(context));
      return { context, page: await openPage(context, pageName) };
    },
    openPage,
    async reload(page) {
      await page.reload();
      await untilReady(page);
    },
    pageErrors: (page) => errors.get(page) ?? [],
  };
}
