/**
 * Drives Debian's Chromium headless with playwright-core: as the Chromium driver of the
 * browser tests ({@link chromiumEngine}), and raw for the bench and the consumer tests
 * ({@link launchChromium}); reads a worker's JS heap over the Chrome DevTools Protocol
 * (playwright gives CDP sessions to pages only, so we attach to the worker target from a
 * browser-level session and relay messages).
 */
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import type { BrowserEngine, EngineDevice, EnginePage } from './browser-engine.ts';

/** Where Debian puts Chromium; override with CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A running browser, and how to close it. */
export interface HeadlessChromium {
  readonly browser: Browser;
  /**
   * A new context: its own storage, like another device. Playwright launches Chromium
   * with a fresh temporary profile and gives each context its own storage partition.
   */
  newContext(): Promise<BrowserContext>;
  /** A browser-level CDP session (for worker targets). */
  cdp(): Promise<CDPSession>;
  close(): Promise<void>;
}

/** Launches headless Chromium. */
export async function launchChromium(): Promise<HeadlessChromium> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS });
  let session: CDPSession | undefined;
  return {
    browser,
    newContext: () => browser.newContext(),
    async cdp() {
      session ??= await browser.newBrowserCDPSession();
      return session;
    },
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}

const pagesOf = new WeakMap<EnginePage, Page>();

/**
 * The Playwright page under a Chromium {@link EnginePage}, for a test that needs
 * Chromium's own devtools (e.g. a quota override over CDP); throws for other engines.
 */
export function playwrightPageOf(page: EnginePage): Page {
  const found = pagesOf.get(page);
  if (found === undefined) throw new Error('not a Chromium page: this test needs Chromium’s devtools');
  return found;
}

function enginePage(page: Page): EnginePage {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.stack ?? error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()} (${message.location().url})`);
  });
  const wrapped: EnginePage = {
    url: () => page.url(),
    goto: async (url) => {
      await page.goto(url);
    },
    // Playwright types the argument as its own serializable shape; ours is plain JSON.
    evaluate: (fn, arg) => (page.evaluate as (f: typeof fn, a: typeof arg) => Promise<never>)(fn, arg),
    waitForFunction: async (fn, arg, timeoutMs) => {
      await (page.waitForFunction as (f: typeof fn, a: typeof arg, o: { timeout: number }) => Promise<unknown>)(fn, arg, { timeout: timeoutMs });
    },
    reload: async () => {
      await page.reload();
    },
    close: () => page.close(),
    errors: async () => errors,
    click: (selector) => page.locator(selector).click(),
    fill: (selector, text) => page.locator(selector).fill(text),
    pressEnter: (selector) => page.locator(selector).press('Enter'),
    setViewport: (width, height) => page.setViewportSize({ width, height }),
    screenshot: async (path) => {
      await page.screenshot({ path, fullPage: true });
    },
  };
  pagesOf.set(wrapped, page);
  return wrapped;
}

function engineDevice(context: BrowserContext): EngineDevice {
  return {
    newPage: async () => enginePage(await context.newPage()),
    // DevTools network emulation: requests fail and navigator.onLine turns false, workers included.
    setOffline: (offline) => context.setOffline(offline),
    close: () => context.close().catch(() => undefined),
  };
}

/** Chromium as a {@link BrowserEngine}: a device is a browser context. */
export async function chromiumEngine(): Promise<BrowserEngine> {
  const running = await launchChromium();
  return {
    name: 'chromium',
    newDevice: async () => engineDevice(await running.newContext()),
    close: () => running.close(),
  };
}

/** Samples the JS heap of one worker target until stopped; reports the highest value seen. */
export interface HeapSampler {
  /** Stops sampling; resolves to the peak used JS heap in bytes (NaN if never read). */
  stop(): Promise<number>;
}

/**
 * Attaches to the first worker target whose URL contains `urlPart` and polls
 * `Runtime.getHeapUsage` every `everyMs`. The peak is sampled, so a spike shorter than
 * the period can be missed.
 */
export async function sampleWorkerHeap(session: CDPSession, urlPart: string, everyMs = 50): Promise<HeapSampler> {
  const { targetInfos } = await session.send('Target.getTargets');
  const target = targetInfos.find((t) => t.type === 'worker' && t.url.includes(urlPart));
  if (target === undefined) return { stop: async () => Number.NaN };
  const { sessionId } = await session.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
  let nextId = 0;
  const waiting = new Map<number, (message: { result?: { usedSize?: number } }) => void>();
  const onMessage = (event: { sessionId?: string; message: string }): void => {
    if (event.sessionId !== sessionId) return;
    const message = JSON.parse(event.message) as { id?: number; result?: { usedSize?: number } };
    if (message.id === undefined) return;
    waiting.get(message.id)?.(message);
    waiting.delete(message.id);
  };
  session.on('Target.receivedMessageFromTarget', onMessage);
  const heapUsed = (): Promise<number> =>
    new Promise((resolve) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(Number.NaN);
      }, 2_000);
      waiting.set(id, (m) => {
        clearTimeout(timer);
        resolve(m.result?.usedSize ?? Number.NaN);
      });
      void session
        .send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }) })
        .catch(() => resolve(Number.NaN));
    });
  let peak = Number.NaN;
  let running = true;
  const loop = (async () => {
    while (running) {
      const used = await heapUsed();
      if (!Number.isNaN(used)) peak = Number.isNaN(peak) ? used : Math.max(peak, used);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      session.off('Target.receivedMessageFromTarget', onMessage);
      await session.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
      return peak;
    },
  };
}
