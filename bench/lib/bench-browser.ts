/**
 * Headless Chromium (Debian's, through playwright-core, on a fresh on-disk profile:
 * chromium-on-disk.ts) with the bench page open, and pulsesync clients in it
 * whose worker is watched over CDP while a measured call runs: its heap (sampled) and,
 * through an injected probe, its longest task and its transactions.
 */
import type { Page } from 'playwright-core';
import { launchOnDisk, type DiskChromium } from '../../tools/chromium-on-disk.ts';
import type { PulseBenchApi } from '../pages/main.ts';
import type { ClientOptions } from '../pages/sdk-calls.ts';
import { serveBenchPages, type BenchPages } from './pages.ts';
import { startProbe, type ProbeReading } from './worker-probe.ts';
import { attachNewWorker, sampleHeap, workerTargetIds, type WorkerSession } from './worker-target.ts';

type Api = PulseBenchApi;

/** Calls `window.pulseBench[fn](arg)` in a page; rejects after `timeoutMs` (default 10 min). */
export type PageCall = <K extends keyof Api>(fn: K, arg: Parameters<Api[K]>[0], timeoutMs?: number) => Promise<Awaited<ReturnType<Api[K]>>>;

/** What a measured SDK call returned, and what its worker did meanwhile. */
export interface Observed<T> {
  readonly result: T;
  /** Undefined when the probe could not be put into the worker. */
  readonly probe: ProbeReading | undefined;
  /** Sampled peak used JS heap of the worker, MB (NaN when not sampled). */
  readonly heapPeakMb: number;
}

/** A pulsesync client open in the bench page, attached to its worker. */
export interface BenchClient {
  readonly name: string;
  /** The CDP session on its worker; undefined if attaching failed (then worker figures are NaN). */
  readonly worker: WorkerSession | undefined;
  /** Runs `op` (a page call on this client) with the probe and the heap sampler around it. */
  observe<T>(op: () => Promise<T>): Promise<Observed<T>>;
  /** Detaches, closes the client and deletes its replica. */
  close(): Promise<void>;
}

/** The browser, the served page and a way to call into it. */
export interface BenchBrowser {
  readonly chromium: DiskChromium;
  readonly pages: BenchPages;
  readonly call: PageCall;
  /** Another page of the same profile (a device of its own when its clients use other replica names). */
  openPage(): Promise<{ readonly call: PageCall; close(): Promise<void> }>;
  /** Opens a client (not timed) and attaches to the worker it started. */
  openClient(options: ClientOptions): Promise<BenchClient>;
  close(): Promise<void>;
}

const DEFAULT_CALL_TIMEOUT_MS = 10 * 60_000;

function pageCall(page: Page): PageCall {
  return (fn, arg, timeoutMs = DEFAULT_CALL_TIMEOUT_MS) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${String(fn)} did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    const run = page.evaluate(({ f, a }) => (window.pulseBench[f] as (x: unknown) => unknown)(a), { f: fn, a: arg as unknown });
    return Promise.race([run, timeout]).finally(() => clearTimeout(timer)) as never;
  };
}

async function openBenchPage(chromium: DiskChromium, url: string, log: (m: string) => void): Promise<{ page: Page; close(): Promise<void> }> {
  const page = await chromium.context.newPage();
  page.on('pageerror', (error) => log(`[page error] ${error.message}`));
  page.on('console', (message) => {
    // A missing favicon is not news.
    if (message.type() === 'error' && !message.location().url.endsWith('favicon.ico')) log(`[page console] ${message.text().slice(0, 300)}`);
  });
  const ready = (): Promise<unknown> => page.waitForFunction(() => 'pulseBench' in window, undefined, { timeout: 30_000 });
  await page.goto(url);
  try {
    await ready();
  } catch {
    // Seen once on a fresh clone: the first page of a fresh browser never ran its module.
    log('bench page not ready after 30 s; reloading once');
    await page.reload();
    await ready();
  }
  return { page, close: () => page.close() };
}

/** Builds and serves the page, launches Chromium and opens the page. */
export async function openBenchBrowser(log: (m: string) => void, forProfile = false): Promise<BenchBrowser> {
  const pages = await serveBenchPages(forProfile);
  const chromium = await launchOnDisk().catch(async (error: unknown) => {
    await pages.close();
    throw error;
  });
  const main = await openBenchPage(chromium, pages.url, log);
  const call = pageCall(main.page);
  return {
    chromium,
    pages,
    call,
    async openPage() {
      const other = await openBenchPage(chromium, pages.url, log);
      return { call: pageCall(other.page), close: other.close };
    },
    async openClient(options) {
      const cdp = await chromium.cdp();
      const before = await workerTargetIds(cdp);
      await call('sdkOpen', options);
      let worker: WorkerSession | undefined;
      try {
        worker = await attachNewWorker(cdp, before, 'pulsesync-worker');
      } catch (error) {
        log(`could not attach to the worker of ${options.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
      return {
        name: options.name,
        worker,
        async observe(op) {
          if (worker === undefined) return { result: await op(), probe: undefined, heapPeakMb: Number.NaN };
          const probe = await startProbe(worker).catch((error: unknown) => {
            log(`worker probe not started: ${error instanceof Error ? error.message : String(error)}`);
            return undefined;
          });
          const heap = sampleHeap(worker);
          try {
            const result = await op();
            const reading = await probe?.stop().catch(() => undefined);
            return { result, probe: reading, heapPeakMb: (await heap.stop()) / (1024 * 1024) };
          } finally {
            await heap.stop();
          }
        },
        async close() {
          await worker?.detach();
          await call('sdkClose', { name: options.name });
        },
      };
    },
    async close() {
      await chromium.close();
      await pages.close();
    },
  };
}
