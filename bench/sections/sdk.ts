/**
 * The SDK side of sections 1–3: pulsesync's browser client (`createSyncClient`) in the
 * bench page (sdk.html, which also carries the IndexedDB limits), against the real
 * `pulsesync-server` on 127.0.0.1 over SQLite, seeded from Node over the wire.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { Budget } from '../lib/budget.ts';
import { sampleWorkerHeap, type HeadlessChromium } from '../../tools/chromium.ts';
import type { BenchPages } from '../lib/pages.ts';
import { seedRecords } from '../../tools/seed-records.ts';
import { serverCommand, startServerProcess, type ServerProcess } from '../../tools/server-process.ts';
import { percentile, perSecond } from '../lib/stats.ts';
import type { EngineSyncRun } from '../pages/engine-probe.ts';
import type { WirePullRun } from '../pages/wire-probe.ts';

/** One initial-sync run as the SDK did it. */
export interface InitialSyncRun {
  readonly recordsPerSec: number;
  /** Sampled peak JS heap of the worker, MB (NaN when not measurable). */
  readonly workerHeapMb: number;
  /** Longest main-thread long task during the sync, ms (0 when none ≥ 50 ms). */
  readonly longestTaskMs: number;
}

/** Steady-state latency from a put on one device to the change event on another. */
export interface LatencyRun {
  readonly samplesMs: readonly number[];
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Longest main-thread task on either page while the changes flowed. */
  readonly longestTaskMs: number;
  /** Changes that never arrived within the per-change time limit. */
  readonly lost: number;
}

/** The SDK measurements, one run at a time, so the caller can interleave them with the limits. */
export interface SdkBench {
  /** Records written per `put` run (fewer than putMany's: one by one is slow). */
  readonly putOneCount: number;
  /** Runs each path once, small, unmeasured. */
  warmUp(): Promise<void>;
  putMany(): Promise<number>;
  putOne(): Promise<number>;
  /** Initial sync of the seeded records into a fresh replica; `batchSize` overrides the engine's default. */
  initialSync(batchSize?: number): Promise<InitialSyncRun>;
  /** The network half alone: the seeded feed pulled over HTTP from the page, parsed and validated, not applied. */
  wirePull(batch: number): Promise<WirePullRun>;
  /** `SyncManager.initialSync` in the page (no worker), with its time split by step. */
  engineSync(batch: number): Promise<EngineSyncRun>;
  /** Up to `changes` puts on one device timed to their `change` on another; stops early when the budget runs out. */
  latency(changes: number, budget: Budget): Promise<LatencyRun>;
  close(): Promise<void>;
}

/** What opening the SDK bench needs. */
export interface SdkOptions {
  readonly root: string;
  readonly browser: HeadlessChromium;
  readonly pages: BenchPages;
  /** The bench page (sdk.html) the limits also run in. */
  readonly page: Page;
  readonly local: { readonly count: number; readonly bytes: number };
  readonly initial: { readonly count: number; readonly bytes: number };
  readonly log: (message: string) => void;
}

const PUT_ONE_COUNT = 1_000; // same as the replica and raw one-by-one rows
/** Longest wait for one change to reach the second device. */
const ARRIVAL_TIMEOUT_MS = 5_000;
/** Longest wait for the untimed first change (both devices connecting). */
const WARM_UP_TIMEOUT_MS = 30_000;

/** Opens the SDK bench (server started and seeded), or says why it cannot run. */
export async function openSdkBench(options: SdkOptions): Promise<SdkBench | string> {
  if (serverCommand(options.root) === undefined) return 'not available yet: no bin/pulsesync-server.js';
  const dir = mkdtempSync(join(tmpdir(), 'pulsesync-bench-sdk-'));
  let server: ServerProcess;
  try {
    server = await startServerProcess(options.root, ['--db', join(dir, 'sdk.db')]);
    options.log(`seeding ${options.initial.count} records into ${server.url}`);
    const t = performance.now();
    await seedRecords({ url: server.url, token: server.token }, { count: options.initial.count, bytes: options.initial.bytes, collective: 'seed' });
    options.log(`seeded in ${Math.round(performance.now() - t)} ms`);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const { page } = options;
  const conn = { url: server.url, token: server.token };
  let counter = 0;
  const fresh = (what: string): string => `bench-${what}-${Date.now()}-${counter++}`;

  return {
    putOneCount: PUT_ONE_COUNT,
    async warmUp() {
      await page.evaluate((o) => window.pulseSdk.putMany(o), { ...conn, name: fresh('warm'), count: 2_000, bytes: options.local.bytes });
      await page.evaluate((o) => window.pulseSdk.putOne(o), { ...conn, name: fresh('warm'), count: 100, bytes: options.local.bytes });
    },
    async putMany() {
      const ms = await page.evaluate((o) => window.pulseSdk.putMany(o), { ...conn, name: fresh('putmany'), ...options.local });
      return perSecond(options.local.count, ms);
    },
    async putOne() {
      const ms = await page.evaluate((o) => window.pulseSdk.putOne(o), { ...conn, name: fresh('putone'), count: PUT_ONE_COUNT, bytes: options.local.bytes });
      return perSecond(PUT_ONE_COUNT, ms);
    },
    async initialSync(batchSize) {
      const name = fresh('initial');
      await page.evaluate((o) => window.pulseSdk.prepare(o), { ...conn, name, ...(batchSize === undefined ? {} : { config: { batchSize } }) });
      const sampler = await sampleWorkerHeap(await options.browser.cdp(), 'worker');
      const result = await page.evaluate((o) => window.pulseSdk.initialSync(o), { name });
      const peak = await sampler.stop();
      if (result.pulled < options.initial.count) throw new Error(`initialSync pulled ${result.pulled} of ${options.initial.count}`);
      return { recordsPerSec: perSecond(result.pulled, result.ms), workerHeapMb: peak / (1024 * 1024), longestTaskMs: result.longestTaskMs };
    },
    async wirePull(batch) {
      const run = await page.evaluate((o) => window.pulseBench.wirePull(o), { ...conn, batch });
      if (run.pulled < options.initial.count) throw new Error(`wire pull got ${run.pulled} of ${options.initial.count}`);
      return run;
    },
    async engineSync(batch) {
      const run = await page.evaluate((o) => window.pulseBench.engineInitialSync(o), { ...conn, batch });
      if (run.pulled < options.initial.count) throw new Error(`in-page initialSync pulled ${run.pulled} of ${options.initial.count}`);
      return run;
    },
    async latency(changes, budget) {
      const receiverContext = await options.browser.newContext();
      const receiver = await receiverContext.newPage();
      try {
        await receiver.goto(`${options.pages.url}sdk.html`);
        await receiver.waitForFunction(() => 'pulseSdk' in window);
        const sender = fresh('device-a');
        const listener = fresh('device-b');
        await receiver.evaluate((o) => window.pulseSdk.startDevice(o), { ...conn, name: listener });
        await page.evaluate((o) => window.pulseSdk.startDevice(o), { ...conn, name: sender });
        // Not timed: one change through, so both devices are connected (handshake, live
        // channel) before the steady state is measured.
        const warm = receiver.evaluate((o) => window.pulseSdk.arrival(o), { id: 'lat-warm-up', timeoutMs: WARM_UP_TIMEOUT_MS });
        await page.evaluate((o) => window.pulseSdk.write(o), { name: sender, collective: 'latency', id: 'lat-warm-up' });
        if (Number.isNaN(await warm)) options.log(`latency: the warm-up change did not arrive within ${WARM_UP_TIMEOUT_MS} ms; measuring anyway`);
        const samples: number[] = [];
        let lost = 0;
        for (let k = 0; k < changes && (k < 50 || budget.allows(ARRIVAL_TIMEOUT_MS)); k++) {
          const id = `lat-${k}`;
          const arrived = receiver.evaluate((o) => window.pulseSdk.arrival(o), { id, timeoutMs: ARRIVAL_TIMEOUT_MS });
          const sentAt = await page.evaluate((o) => window.pulseSdk.write(o), { name: sender, collective: 'latency', id });
          const at = await arrived;
          if (Number.isNaN(at)) { lost++; options.log(`change ${id} not seen within ${ARRIVAL_TIMEOUT_MS} ms`); }
          else samples.push(at - sentAt);
          // A small irregular gap, so changes do not phase-lock with any interval timer.
          await new Promise((r) => setTimeout(r, 2 + (k % 7)));
        }
        const longest = Math.max(
          await page.evaluate((o) => window.pulseSdk.stopDevice(o), { name: sender }),
          await receiver.evaluate((o) => window.pulseSdk.stopDevice(o), { name: listener }),
        );
        return { samplesMs: samples, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99), longestTaskMs: longest, lost };
      } finally {
        await receiverContext.close();
      }
    },
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
