/**
 * The shared harness of the browser tests, in any engine of tools/browser-engine.ts.
 * `useBrowserHarness(engine)` registers hooks that, once per describe block, start the
 * engine (a fresh profile or in-memory session per launch), serve the Vite-built test
 * pages from 127.0.0.1 and start the real `pulsesync-server` behind a counting proxy;
 * everything is torn down after the block.
 *
 *     describe.each(engines)('%s', (engine) => {
 *       const h = useBrowserHarness(engine);
 *       it('…', async () => {
 *         const device = await h.newDevice();                 // own storage, own network
 *         await device.page.evaluate((o) => window.pulse.open(o), { …, url: device.serverUrl });
 *         expect(h.server.proxy.count('push')).toBe(1);
 *       });
 *     });
 */
import { afterAll, beforeAll } from 'vitest';
import type { BrowserEngine, EngineName, EnginePage } from '../../tools/browser-engine.ts';
import '../browser/pages/page-api.ts';
import { launchEngine } from './engines.ts';
import { startNetworkLink, type NetworkLink } from './network-link.ts';
import { serveTestPages, type TestPages } from './pages.ts';
import { startTestServer, type TestServer } from './test-server.ts';

/** A device: its own storage and network switch, with its first tab open. */
export interface Device {
  readonly page: EnginePage;
  /**
   * The sync server's URL as this device reaches it: the counting proxy, or (WebKit)
   * the device's own link to it, which its offline switch cuts.
   */
  readonly serverUrl: string;
  /** Opens `pageName` (default `client`) in another tab of this device, ready. */
  openPage(pageName?: string): Promise<EnginePage>;
  /**
   * Takes the device off the network and back. Chromium and Firefox: the browser's own
   * switch. WebKit: the device's link to the server is cut, and each tab gets the
   * `offline`/`online` event the OS change would bring (`navigator.onLine` stays true).
   */
  setOffline(offline: boolean): Promise<void>;
  close(): Promise<void>;
}

/** What a browser test block gets. */
export interface BrowserHarness {
  readonly engine: EngineName;
  readonly pages: TestPages;
  /** The server behind its counting proxy; throws if the block asked for none. */
  readonly server: TestServer;
  /** A new device with `pageName` (default `client`) open and ready. */
  newDevice(pageName?: string): Promise<Device>;
  /**
   * Reloads `page` — the hard way to kill its workers mid-flight: the document goes,
   * its workers are terminated, open IndexedDB transactions abort — and waits until
   * the page's API is back.
   */
  reload(page: EnginePage): Promise<void>;
  /** Errors thrown in a page (uncaught) and console errors since it opened. */
  pageErrors(page: EnginePage): Promise<readonly string[]>;
}

/** Options of {@link useBrowserHarness}. */
export interface HarnessOptions {
  /** Start a pulsesync-server for the block. Default true. */
  readonly server?: boolean;
  /** Starts a variant of the engine (e.g. Firefox in private browsing) instead of its default. */
  readonly launch?: () => Promise<BrowserEngine>;
}

interface Running {
  engine: BrowserEngine;
  pages: TestPages;
  server: TestServer | undefined;
}

/** Registers beforeAll/afterAll hooks for the enclosing block; see the module comment. */
export function useBrowserHarness(engine: EngineName, options: HarnessOptions = {}): BrowserHarness {
  let running: Running | undefined;
  const devices = new Set<Device>();

  beforeAll(async () => {
    const [browser, pages, server] = await Promise.allSettled([
      launchEngine(engine, options.launch),
      serveTestPages(),
      options.server === false ? Promise.resolve(undefined) : startTestServer(),
    ]);
    if (browser.status === 'fulfilled' && pages.status === 'fulfilled' && server.status === 'fulfilled') {
      running = { engine: browser.value, pages: pages.value, server: server.value };
      return;
    }
    // Stop whatever did start, then report the first failure.
    if (browser.status === 'fulfilled') await browser.value.close();
    if (pages.status === 'fulfilled') await pages.value.close();
    if (server.status === 'fulfilled') await server.value?.stop();
    for (const outcome of [browser, pages, server]) if (outcome.status === 'rejected') throw outcome.reason;
  }, 120_000);

  afterAll(async () => {
    if (running === undefined) return;
    const { engine: browser, pages, server } = running;
    running = undefined;
    for (const device of devices) await device.close().catch(() => undefined);
    await browser.close();
    await pages.close();
    await server?.stop();
  }, 60_000);

  const ready = (): Running => {
    if (running === undefined) throw new Error('the browser harness is not running (used outside a test?)');
    return running;
  };

  const untilReady = async (page: EnginePage): Promise<void> => {
    try {
      await page.waitForFunction(() => window.testPageReady === true, undefined, 15_000);
    } catch (error) {
      const seen = await page.errors();
      throw new Error(`${page.url()} never became ready in ${engine}; page errors: ${seen.join('\n') || 'none'}`, { cause: error });
    }
  };

  const newDevice = async (pageName = 'client'): Promise<Device> => {
    const { engine: browser, pages, server } = ready();
    const inner = await browser.newDevice();
    // No offline switch in the engine: the device reaches the server through a link of its own.
    const link: NetworkLink | undefined =
      inner.setOffline === undefined && server !== undefined ? await startNetworkLink(server.url) : undefined;
    const tabs = new Set<EnginePage>();
    const openPage = async (name = 'client'): Promise<EnginePage> => {
      const page = await inner.newPage();
      await page.goto(`${pages.url}${name}.html`);
      await untilReady(page);
      tabs.add(page);
      const close = page.close.bind(page);
      page.close = async () => {
        tabs.delete(page);
        await close();
      };
      return page;
    };
    const device: Device = {
      page: await openPage(pageName),
      serverUrl: link?.url ?? server?.url ?? '',
      openPage,
      async setOffline(offline) {
        if (inner.setOffline !== undefined) return inner.setOffline(offline);
        if (link === undefined) throw new Error('this device has no link to a server to cut');
        if (offline) link.cut();
        else link.restore();
        for (const tab of tabs) await tab.evaluate((type) => void window.dispatchEvent(new Event(type)), offline ? 'offline' : 'online');
      },
      async close() {
        devices.delete(device);
        await inner.close();
        await link?.close();
      },
    };
    devices.add(device);
    return device;
  };

  return {
    engine,
    get pages() {
      return ready().pages;
    },
    get server() {
      const { server } = ready();
      if (server === undefined) throw new Error('this test block started no server (useBrowserHarness(engine, { server: false }))');
      return server;
    },
    newDevice,
    async reload(page) {
      await page.reload();
      await untilReady(page);
    },
    pageErrors: (page) => page.errors(),
  };
}
