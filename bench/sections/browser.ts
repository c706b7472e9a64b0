/**
 * Sections 1–3 (and the packed-layout trade-off): everything measured in Chromium.
 * The IndexedDB limits run in the same page, interleaved run by run with the SDK, so
 * each ratio compares figures taken under the same load.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { repeatWithin, type Budget } from '../lib/budget.ts';
import { launchChromium, type HeadlessChromium } from '../../tools/chromium.ts';
import { serveBenchPages, type BenchPages } from '../lib/pages.ts';
import { median, perSecond } from '../lib/stats.ts';
import type { ResultRow } from '../lib/table.ts';
import type { ApplyMode, PackedTradeoff } from '../pages/limits.ts';
import type { EngineSyncRun } from '../pages/engine-probe.ts';
import type { WirePullRun } from '../pages/wire-probe.ts';
import { DEFAULT_SYNC_CONFIG } from '../../src/engine/config.ts';
import { openSdkBench, type InitialSyncRun, type LatencyRun, type SdkBench } from './sdk.ts';

/** Changes timed for the steady-state latency. */
const LATENCY_CHANGES = 500;

/** Local-write records: count and JSON size of each value. */
export const LOCAL = { count: 10_000, bytes: 150 } as const;
/** Initial-sync records. */
export const INITIAL = { count: 100_000, bytes: 200, batch: 1_000 } as const;
/** The apply-variant runs: pulled changes, batch size as the engine's default. */
const APPLY = { count: 20_000, bytes: 200, batch: 500 } as const;
const APPLY_MODES: readonly ApplyMode[] = ['blind-put', 'get-then-put', 'log-lookup-then-put'];
/** The engine's pull batch size (its default), used by the store-alone and in-page rows too. */
const ENGINE_BATCH = DEFAULT_SYNC_CONFIG.batchSize;
/** A larger pull batch, measured beside the default to show what batch size costs. */
const LARGE_BATCH = 2_000;
/** Awaited one-by-one writes per run. */
const ONE_BY_ONE = 1_000;
/** Records per packed value. */
const CHUNK = 1_000;

/** What the browser section needs. */
export interface BrowserOptions {
  readonly root: string;
  readonly runs: number;
  readonly log: (message: string) => void;
  /** When the browser sections must be done; loops run fewer times rather than overrun it. */
  readonly budget: Budget;
}

/** Opens the bench page: sdk.html (SDK + limits) when the SDK is there, else the limits alone. */
async function benchPage(browser: HeadlessChromium, pages: BenchPages, withSdk: boolean): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[page] ${error.message}`));
  const ready = (): Promise<unknown> =>
    page.waitForFunction((sdk) => 'pulseBench' in window && (!sdk || 'pulseSdk' in window), withSdk, { timeout: 30_000 });
  await page.goto(withSdk ? `${pages.url}sdk.html` : pages.url);
  try {
    await ready();
  } catch (error) {
    // Seen once on a fresh clone: the first page of a fresh browser never ran its
    // module. A reload is cheap; a second failure is reported.
    console.error(`[bench] bench page not ready (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); reloading once`);
    await page.reload();
    await ready();
  }
  return page;
}

/** Runs the browser sections; returns their rows. */
export async function runBrowser(options: BrowserOptions): Promise<ResultRow[]> {
  const pages = await serveBenchPages();
  const browser = await launchChromium();
  try {
    const sdkReady = existsSync(join(options.root, 'src/client/index.ts')) && existsSync(join(options.root, 'bench/pages/sdk.html'));
    const page = await benchPage(browser, pages, sdkReady);
    const sdk: SdkBench | string = sdkReady
      ? await openSdkBench({ root: options.root, log: options.log, browser, pages, page, local: LOCAL, initial: INITIAL })
      : 'not available yet: no src/client';
    const syncRuns = Math.max(3, options.runs - 2);
    const sdkSamples = { putMany: [] as number[], putOne: [] as number[], initialSync: [] as InitialSyncRun[], initialSyncLarge: [] as InitialSyncRun[] };
    const skipped = (what: string) => (done: number): void => options.log(`${what}: stopping after ${done} run(s) to stay within the time budget`);
    let latency: LatencyRun | string = typeof sdk === 'string' ? sdk : 'not run';

    try {
      // ---- section 1: 10k records, the limit in one transaction, interleaved with the SDK.
      const raw: number[] = [];
      const rawLog: number[] = [];
      const packed: number[] = [];
      const replicaMany: number[] = [];
      const replicaOne: number[] = [];
      const rawOneTx: number[] = [];
      const plain: number[] = [];
      // Warm-up, not measured: JIT and IndexedDB backing files for each path.
      await page.evaluate((o) => window.pulseBench.rawPut(o), { count: 2_000, bytes: LOCAL.bytes, batch: 2_000 });
      await page.evaluate((o) => window.pulseBench.rawPut(o), { count: 2_000, bytes: LOCAL.bytes, batch: 2_000, plain: true });
      await page.evaluate((o) => window.pulseBench.replicaPutMany(o), { count: 2_000, bytes: LOCAL.bytes });
      if (typeof sdk !== 'string') await sdk.warmUp();
      const s1 = options.budget.slice(0.15);
      await repeatWithin(s1, options.runs, async (r) => {
        options.log(`local writes run ${r + 1}/${options.runs}`);
        raw.push(perSecond(LOCAL.count, await page.evaluate((o) => window.pulseBench.rawPut(o), { ...LOCAL, batch: LOCAL.count })));
        if (typeof sdk !== 'string') sdkSamples.putMany.push(await sdk.putMany());
        plain.push(perSecond(LOCAL.count, await page.evaluate((o) => window.pulseBench.rawPut(o), { ...LOCAL, batch: LOCAL.count, plain: true })));
        rawLog.push(perSecond(LOCAL.count, await page.evaluate((o) => window.pulseBench.rawPut(o), { ...LOCAL, batch: LOCAL.count, withLog: true })));
        if (typeof sdk !== 'string') sdkSamples.putOne.push(await sdk.putOne());
        packed.push(perSecond(LOCAL.count, await page.evaluate((o) => window.pulseBench.packedPut(o), { ...LOCAL, chunk: CHUNK, chunksPerTx: LOCAL.count / CHUNK })));
        replicaMany.push(perSecond(LOCAL.count, await page.evaluate((o) => window.pulseBench.replicaPutMany(o), LOCAL)));
        replicaOne.push(perSecond(ONE_BY_ONE, await page.evaluate((o) => window.pulseBench.replicaPutOne(o), { count: ONE_BY_ONE, bytes: LOCAL.bytes })));
        rawOneTx.push(perSecond(ONE_BY_ONE, await page.evaluate((o) => window.pulseBench.rawPut(o), { count: ONE_BY_ONE, bytes: LOCAL.bytes, batch: 1 })));
      }, skipped('local writes'));
      // ---- section 2: 100k pulled-change objects, 1,000 per transaction, interleaved.
      const rawSync: number[] = [];
      const packedSync: number[] = [];
      const packed100: number[] = [];
      const replicaApply: number[] = [];
      const plainSync: number[] = [];
      const wire: WirePullRun[] = [];
      const engine: EngineSyncRun[] = [];
      await repeatWithin(options.budget.slice(0.65), syncRuns, async (r) => {
        options.log(`initial sync run ${r + 1}/${syncRuns}`);
        rawSync.push(perSecond(INITIAL.count, await page.evaluate((o) => window.pulseBench.rawPut(o), { ...INITIAL, pulled: true })));
        if (typeof sdk !== 'string') sdkSamples.initialSync.push(await sdk.initialSync());
        plainSync.push(perSecond(INITIAL.count, await page.evaluate((o) => window.pulseBench.rawPut(o), { ...INITIAL, pulled: true, plain: true })));
        if (typeof sdk !== 'string') {
          sdkSamples.initialSyncLarge.push(await sdk.initialSync(LARGE_BATCH));
          wire.push(await sdk.wirePull(ENGINE_BATCH));
          engine.push(await sdk.engineSync(ENGINE_BATCH));
        }
        packedSync.push(perSecond(INITIAL.count, await page.evaluate((o) => window.pulseBench.packedPut(o), { count: INITIAL.count, bytes: INITIAL.bytes, chunk: CHUNK, chunksPerTx: 100, pulled: true })));
        packed100.push(perSecond(INITIAL.count, await page.evaluate((o) => window.pulseBench.packedPut(o), { count: INITIAL.count, bytes: INITIAL.bytes, chunk: 100, chunksPerTx: 100, pulled: true })));
        replicaApply.push(perSecond(INITIAL.count, await page.evaluate((o) => window.pulseBench.replicaApply(o), { count: INITIAL.count, bytes: INITIAL.bytes, batch: ENGINE_BATCH })));
      }, skipped('initial sync'));
      // ---- section 3: one run of N changes (its own median/p99 over the changes).
      if (typeof sdk !== 'string') {
        options.log(`steady-state latency: ${LATENCY_CHANGES} changes`);
        latency = await sdk.latency(LATENCY_CHANGES, options.budget.slice(0.5));
      }
      // ---- what a packed replica would cost: single-record reads and updates.
      const tradeoffs: Record<number, PackedTradeoff[]> = { 100: [], 1000: [] };
      await repeatWithin(options.budget.slice(0.5), syncRuns, async (r) => {
        for (const chunk of [100, 1000]) {
          options.log(`packed trade-off: ${chunk} records/value, run ${r + 1}/${syncRuns}`);
          tradeoffs[chunk]?.push(await page.evaluate((o) => window.pulseBench.packedTradeoff(o), { records: LOCAL.count, bytes: LOCAL.bytes, chunk, ops: 200 }));
        }
      }, skipped('packed trade-off'));
      // ---- why: what each way of applying a pulled batch costs per record.
      const apply: Record<ApplyMode, number[]> = { 'blind-put': [], 'get-then-put': [], 'log-lookup-then-put': [] };
      await repeatWithin(options.budget, syncRuns, async (r) => {
        options.log(`apply variants, run ${r + 1}/${syncRuns}`);
        for (const mode of APPLY_MODES) {
          apply[mode].push(perSecond(APPLY.count, await page.evaluate((o) => window.pulseBench.applyVariant(o), { ...APPLY, mode })));
        }
      }, skipped('apply variants'));
      return buildRows({ raw, plain, rawLog, packed, replicaMany, replicaOne, rawOneTx, rawSync, plainSync, packedSync, packed100, replicaApply, wire, engine, tradeoffs, apply, sdk, sdkSamples, latency });
    } finally {
      if (typeof sdk !== 'string') await sdk.close();
    }
  } finally {
    await browser.close();
    await pages.close();
  }
}

interface Measured {
  readonly raw: number[];
  readonly plain: number[];
  readonly rawLog: number[];
  readonly packed: number[];
  readonly replicaMany: number[];
  readonly replicaOne: number[];
  readonly rawOneTx: number[];
  readonly replicaApply: number[];
  readonly rawSync: number[];
  readonly plainSync: number[];
  readonly wire: WirePullRun[];
  readonly engine: EngineSyncRun[];
  readonly packedSync: number[];
  readonly packed100: number[];
  readonly tradeoffs: Record<number, PackedTradeoff[]>;
  readonly apply: Record<ApplyMode, number[]>;
  readonly sdk: SdkBench | string;
  readonly sdkSamples: { putMany: number[]; putOne: number[]; initialSync: InitialSyncRun[]; initialSyncLarge: InitialSyncRun[] };
  readonly latency: LatencyRun | string;
}

/** `a` as a percentage of `b`, for notes. */
const pct = (a: number, b: number): string => (b > 0 ? `${((a / b) * 100).toFixed(0)}%` : 'n/a');

/**
 * The ratio of each run's figure to the limit measured beside it in the same run, as
 * "median X% (min–max)": steadier than the ratio of medians when the machine's load drifts.
 */
function pairedRatios(values: readonly number[], limits: readonly number[]): string {
  const ratios = values.map((v, i) => v / (limits[i] ?? Number.NaN)).filter((r) => Number.isFinite(r));
  if (ratios.length === 0) return 'n/a';
  const p = (r: number): string => `${(r * 100).toFixed(0)}%`;
  return `median ${p(median(ratios))} (${p(Math.min(...ratios))}–${p(Math.max(...ratios))})`;
}

function buildRows(m: Measured): ResultRow[] {
  const { raw, plain, rawLog, packed, replicaMany, replicaOne, rawOneTx, rawSync, plainSync, packedSync, packed100, replicaApply, wire, engine, tradeoffs, apply, sdk, sdkSamples, latency } = m;
  const L = median(raw);
  const P = median(packed);
  const LS = median(rawSync);
  const PS = median(packedSync);
  const rows: ResultRow[] = [];

  const s1 = '1 Local writes (10k × ~150 B)';
  if (typeof sdk === 'string') {
    rows.push({ section: s1, figure: 'SyncClient.putMany', value: sdk, unit: 'rec/s', limit: L, packed: P, target: '≥ 80% of limit' });
    rows.push({ section: s1, figure: 'SyncClient.put, one by one', value: sdk, unit: 'rec/s', limit: L, packed: P });
  } else {
    const putMany = median(sdkSamples.putMany);
    rows.push({
      section: s1, figure: 'SyncClient.putMany', value: putMany, unit: 'rec/s', limit: L, packed: P, target: '≥ 80% of limit', met: putMany >= 0.8 * L, samples: sdkSamples.putMany,
      note: `one call with 10k records from the page: Comlink to the worker, the replica's one transaction, the change event back; run by run against the limit measured just before it: ${pairedRatios(sdkSamples.putMany, raw)}`,
    });
    rows.push({ section: s1, figure: `SyncClient.put ×${sdk.putOneCount}, awaited`, value: median(sdkSamples.putOne), unit: 'rec/s', limit: L, packed: P, samples: sdkSamples.putOne });
  }
  rows.push({
    section: s1, figure: 'replica.putMany (no worker)', value: median(replicaMany), unit: 'rec/s', limit: L, packed: P, samples: replicaMany,
    note: `openReplica() in the page: the store alone, without worker, Comlink or client; ${pct(median(replicaMany), median(plain))} of plain IndexedDB (N + 2 puts against N)`,
  });
  rows.push({ section: s1, figure: `replica.put ×${ONE_BY_ONE} (no worker)`, value: median(replicaOne), unit: 'rec/s', limit: L, packed: P, samples: replicaOne });
  rows.push({ section: s1, figure: 'limit: idb, 1 put/record, 1 tx', value: L, unit: 'rec/s', limit: L, packed: P, samples: raw });
  rows.push({
    section: s1, figure: 'plain IndexedDB (no idb), 1 tx', value: median(plain), unit: 'rec/s', limit: L, packed: P, samples: plain,
    note: 'the same writes without the idb wrapper (no promise per request): the limit the brief asks for is the idb one above; this is the floor under it',
  });
  rows.push({
    section: s1, figure: `idb, 1 put per tx ×${ONE_BY_ONE}`, value: median(rawOneTx), unit: 'rec/s', limit: L, packed: P, samples: rawOneTx,
    note: 'the ceiling of any one-by-one awaited put: one transaction commit per record',
  });
  rows.push({
    section: s1, figure: 'idb, record + log entry (2 puts)', value: median(rawLog), unit: 'rec/s', limit: L, packed: P, samples: rawLog,
    note: 'a change-log put per record: what a per-record log would pay (the replica logs one entry per transaction, N + 1 puts)',
  });
  rows.push({ section: s1, figure: 'packed limit: 1,000 rec/value', value: P, unit: 'rec/s', limit: L, packed: P, samples: packed });

  const s2 = '2 Initial sync (100k × ~200 B)';
  if (typeof sdk === 'string') {
    rows.push({ section: s2, figure: 'initialSync end to end', value: sdk, unit: 'rec/s', limit: LS, packed: PS, target: '≥ 60% of limit' });
  } else {
    const runs = sdkSamples.initialSync;
    const rate = runs.map((x) => x.recordsPerSec);
    const heap = runs.map((x) => x.workerHeapMb);
    const task = runs.map((x) => x.longestTaskMs);
    const sync = median(rate);
    rows.push({
      section: s2, figure: `initialSync end to end, ${ENGINE_BATCH}/batch`, value: sync, unit: 'rec/s', limit: LS, packed: PS, target: '≥ 60% of limit', met: sync >= 0.6 * LS, samples: rate,
      note: `SyncClient.initialSync in the page (worker, Comlink, httpTransport, real server over SQLite), default config; timed from the call to its answer; run by run against the limit measured just before it: ${pairedRatios(rate, rawSync)}`,
    });
    if (sdkSamples.initialSyncLarge.length > 0) {
      const large = sdkSamples.initialSyncLarge.map((x) => x.recordsPerSec);
      rows.push({ section: s2, figure: `initialSync, config batchSize ${LARGE_BATCH}`, value: median(large), unit: 'rec/s', limit: LS, packed: PS, samples: large });
    }
    rows.push({
      section: s2, figure: 'peak worker JS heap', value: median(heap), unit: 'MB', samples: heap,
      note: 'CDP Runtime.getHeapUsage on the worker target, polled every 50 ms: a sampled peak of the V8 heap (IndexedDB and browser-process memory not included)',
    });
    const longest = median(task);
    rows.push({
      section: s2, figure: 'longest main-thread task', value: longest, unit: 'ms', target: '≤ 50 ms', met: longest <= 50, samples: task,
      note: 'PerformanceObserver longtask in the page during initialSync; only tasks ≥ 50 ms are reported, so 0 means none',
    });
  }
  if (engine.length > 0) {
    const rate = engine.map((x) => perSecond(x.pulled, x.ms));
    const share = (pick: (x: EngineSyncRun) => number): string => `${(median(engine.map((x) => pick(x) / x.ms)) * 100).toFixed(0)}%`;
    rows.push({
      section: s2, figure: `engine in the page, ${ENGINE_BATCH}/batch`, value: median(rate), unit: 'rec/s', limit: LS, packed: PS, samples: rate,
      note: `SyncManager.initialSync in the page over httpTransport, no worker; of its time ${share((x) => x.pullMs)} waits on pull requests, ${share((x) => x.applyMs)} in applyRemote, ${share((x) => x.otherStoreMs)} in other store calls (the rest: engine bookkeeping). Pull and apply overlap (the next batch is asked for while one is applied), so the shares can sum past 100%`,
    });
  }
  if (wire.length > 0) {
    const rate = wire.map((x) => perSecond(x.pulled, x.ms));
    const parseShare = `${(median(wire.map((x) => x.parseMs / x.ms)) * 100).toFixed(0)}%`;
    rows.push({
      section: s2, figure: `HTTP pull alone, ${ENGINE_BATCH}/request`, value: median(rate), unit: 'rec/s', limit: LS, packed: PS, samples: rate,
      note: `the feed pulled from the page with fetch, JSON.parse and the transport's validation, nothing applied: the network half (server, loopback, JSON); ${parseShare} of it in JSON.parse + validation`,
    });
  }
  rows.push({
    section: s2, figure: `replica.applyRemote ${ENGINE_BATCH}/batch`, value: median(replicaApply), unit: 'rec/s', limit: LS, packed: PS, samples: replicaApply,
    note: `openReplica() in the page, feed batches of ${ENGINE_BATCH} with their cursor: the store alone, no network, no worker; ${pct(median(replicaApply), median(plainSync))} of plain IndexedDB at 1k/tx`,
  });
  rows.push({ section: s2, figure: 'limit: idb, 1 put/record, 1k/tx', value: LS, unit: 'rec/s', limit: LS, packed: PS, samples: rawSync });
  rows.push({ section: s2, figure: 'plain IndexedDB (no idb), 1k/tx', value: median(plainSync), unit: 'rec/s', limit: LS, packed: PS, samples: plainSync });
  rows.push({ section: s2, figure: 'packed limit: 1,000 rec/value', value: PS, unit: 'rec/s', limit: LS, packed: PS, samples: packedSync });
  rows.push({ section: s2, figure: 'packed: 100 rec/value', value: median(packed100), unit: 'rec/s', limit: LS, packed: PS, samples: packed100 });

  const s3 = '3 Steady state (put → change on 2nd device)';
  if (typeof latency === 'string') {
    rows.push({ section: s3, figure: 'p50 / p99', value: latency, unit: 'ms', target: 'p50 < 50 ms' });
  } else {
    rows.push({ section: s3, figure: `p50 over ${latency.samplesMs.length} changes`, value: latency.p50Ms, unit: 'ms', target: '< 50 ms', met: latency.p50Ms < 50 });
    rows.push({ section: s3, figure: `p99 over ${latency.samplesMs.length} changes`, value: latency.p99Ms, unit: 'ms' });
    rows.push({ section: s3, figure: 'longest main-thread task, 2 pages', value: latency.longestTaskMs, unit: 'ms', target: '≤ 50 ms', met: latency.longestTaskMs <= 50 });
    if (latency.lost > 0) rows.push({ section: s3, figure: 'changes not seen within 5 s', value: latency.lost, unit: 'changes' });
  }

  const s6 = '6 Packed layout trade-off (10k records)';
  for (const chunk of [100, 1000]) {
    const t = tradeoffs[chunk] ?? [];
    const ops = t[0]?.ops ?? 1;
    const perOp = (pick: (x: PackedTradeoff) => number): number => median(t.map(pick)) / ops;
    const whole = (pick: (x: PackedTradeoff) => number): number => median(t.map(pick));
    rows.push({
      section: s6, figure: `read 1 record, packed ${chunk}/value`, value: perOp((x) => x.readOneMs.packed), unit: 'ms', limit: perOp((x) => x.readOneMs.perRecord),
      ...(chunk === 100 ? { note: 'ms per operation, one transaction each; "IDB limit" is the per-record layout doing the same, so the ratio is the packed layout\'s cost' } : {}),
    });
    rows.push({ section: s6, figure: `update 1 record, packed ${chunk}/value`, value: perOp((x) => x.updateOneMs.packed), unit: 'ms', limit: perOp((x) => x.updateOneMs.perRecord) });
    rows.push({ section: s6, figure: `read all 10k, packed ${chunk}/value`, value: whole((x) => x.readAllMs.packed), unit: 'ms', limit: whole((x) => x.readAllMs.perRecord) });
  }

  const s7 = `7 Apply of pulled batches (${APPLY.count / 1000}k, ${APPLY.batch}/tx)`;
  const blind = median(apply['blind-put']);
  rows.push({
    section: s7, figure: 'blind put + cursor', value: blind, unit: 'rec/s', limit: LS, samples: apply['blind-put'],
    note: 'idb in the bench page, same shape as a pulled change; the limit column is section 2\'s (1,000/tx)',
  });
  rows.push({ section: s7, figure: 'get current record, then put', value: median(apply['get-then-put']), unit: 'rec/s', limit: LS, samples: apply['get-then-put'] });
  rows.push({ section: s7, figure: 'look up change log index, then put', value: median(apply['log-lookup-then-put']), unit: 'rec/s', limit: LS, samples: apply['log-lookup-then-put'] });
  return rows;
}
