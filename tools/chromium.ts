/**
 * Drives Debian's Chromium headless with playwright-core, and reads a worker's JS heap
 * over the Chrome DevTools Protocol (playwright gives CDP sessions to pages only, so we
 * attach to the worker target from a browser-level session and relay messages).
 */
import { chromium, type Browser, type BrowserContext, type CDPSession } from 'playwright-core';

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
