/**
 * Section 2: the initial sync of 100,000 records of ~250 B through `createSyncClient`
 * (worker, HTTP to `pulsesync-server` over SQLite on 127.0.0.1, default settings),
 * against plain IndexedDB writing the same rows with the SDK's own batching and
 * durability (relaxed for pulled batches, so the default is shown too), Dexie, RxDB's
 * own replication from the same server, and the parts of the pipeline measured alone.
 * Section 3, in the same rounds: reading the whole collection back into the page.
 */
import type { BenchBrowser } from '../lib/bench-browser.ts';
import { comparisonNotes, comparisonRows, type SectionReport } from '../lib/report.ts';
import { runRounds, type Comparison, type Reference } from '../lib/rounds.ts';
import type { Section, SectionContext } from '../lib/section.ts';
import type { SeededServer } from '../lib/seeded-server.ts';
import { perSecond } from '../lib/stats.ts';
import { DEFAULT_SYNC_CONFIG } from '../../src/engine/config.ts';
import { dropRound, limitRead, limitSync, observeSync, sdkPageRead, sdkRead, sdkSync, SYNC_SIDE, type SyncRound, type SyncShape } from './sync-runners.ts';

/** Peers and parts beside the limits: Dexie and RxDB (kept for the read), and the pipeline's halves. */
function peersAndParts(b: BenchBrowser, seeded: SeededServer, shape: SyncShape, round: SyncRound): Reference[] {
  const server = { url: seeded.url, token: seeded.token };
  const requestBatch = DEFAULT_SYNC_CONFIG.pullBatchSize;
  const feed = { count: seeded.count, bytes: seeded.bytes, collective: seeded.collective };
  return [
    {
      label: `Dexie 4 bulkPut, ${shape.batch}/tx + cursor, ${shape.durability}`,
      role: 'peer',
      async run() {
        const r = await b.call('dexieBatches', { ...feed, batch: shape.batch, durability: shape.durability });
        round.dexie = r.name;
        return perSecond(seeded.count, r.ms);
      },
    },
    {
      label: `RxDB replicateRxCollection from the same server, ${requestBatch}/pull, ${shape.durability}`,
      role: 'peer',
      async run() {
        const r = await b.call('rxdbReplicate', { ...server, batch: requestBatch, durability: shape.durability });
        round.rxdb = r.name;
        if (r.count !== seeded.count) throw new Error(`RxDB replicated ${r.count} of ${seeded.count}`);
        return perSecond(r.count, r.ms);
      },
    },
    {
      label: `HTTP pull alone: fetch + JSON.parse + validation, ${requestBatch}/request, in the page`,
      role: 'part',
      async run() {
        const r = await b.call('wirePull', { ...server, batch: requestBatch });
        if (r.pulled !== seeded.count) throw new Error(`pulled ${r.pulled} of ${seeded.count}`);
        return { value: perSecond(r.pulled, r.ms), info: `${r.requests} requests; JSON.parse + validation ${((r.parseMs / r.ms) * 100).toFixed(0)}% of its time (last round)` };
      },
    },
    {
      label: `replica.applyRemote alone, ${shape.batch}/batch, in the page`,
      role: 'part',
      run: async () => perSecond(seeded.count, await b.call('replicaApply', { ...feed, batch: shape.batch })),
    },
    {
      label: `engine in the page (SyncManager, no worker), ${requestBatch}/pull`,
      role: 'part',
      async run() {
        const r = await b.call('engineInitialSync', { ...server, batch: requestBatch });
        if (r.pulled !== seeded.count) throw new Error(`pulled ${r.pulled} of ${seeded.count}`);
        const share = (x: number): string => `${((x / r.ms) * 100).toFixed(0)}%`;
        return {
          value: perSecond(r.pulled, r.ms),
          info: `of its time ${share(r.pullMs)} awaiting pulls, ${share(r.applyMs)} in applyRemote, ${share(r.otherStoreMs)} in other store calls (these overlap when the engine pipelines; last round)`,
        };
      },
    },
  ];
}

/** The sync comparison (with both limits where the SDK's durability is not the default) and the read comparison. */
export function syncComparisons(b: BenchBrowser, seeded: SeededServer, shape: SyncShape, round: SyncRound, extra: Reference[]): { sync: Comparison; read: Comparison } {
  const n = seeded.count.toLocaleString('en-US');
  const limits: Reference[] = [limitSync(b, seeded, shape, shape.durability, round, 0.9)];
  if (shape.durability !== 'default') limits.push(limitSync(b, seeded, shape, 'default', undefined));
  return {
    sync: {
      label: `client.initialSync(), ${n} records, default settings`,
      unit: 'rec/s',
      better: 'higher',
      subject: sdkSync(b, seeded, round, `client.initialSync(), ${n} records, default settings`),
      side: SYNC_SIDE,
      references: [...limits, ...extra],
    },
    read: {
      label: `collection client list('${seeded.collective}'), read on the page: ${n} records`,
      unit: 'rec/s',
      better: 'higher',
      subject: sdkPageRead(b, seeded, round, `collection client list('${seeded.collective}'), read on the page: ${n} records`),
      side: [{ key: 'mainTask', label: 'main-thread longest task (0 = none ≥ 50 ms)', unit: 'ms', target: { atMost: 50 } }],
      references: [
        limitRead(b, seeded, round, 0.8),
        { ...sdkRead(b, seeded, round, `client.list('${seeded.collective}') through the worker (default client; three clones, one message)`), role: 'part' },
      ],
    },
  };
}

async function initialSync(ctx: SectionContext): Promise<SectionReport[]> {
  const b = await ctx.browser();
  const seeded = await ctx.seeded();
  const shape = await observeSync(b, seeded, ctx.log);
  const round: SyncRound = {};
  // BENCH_LIMITS_ONLY=1: the SDK and its limits alone (quicker runs while working on these figures).
  const limitsOnly = process.env['BENCH_LIMITS_ONLY'] === '1';
  const { sync, read } = syncComparisons(b, seeded, shape, round, limitsOnly ? [] : peersAndParts(b, seeded, shape, round));
  const readWithPeers: Comparison = limitsOnly ? read : {
    ...read,
    references: [
      ...(read.references ?? []),
      {
        label: 'Dexie 4 where().between().toArray(), in the page',
        role: 'peer',
        async run() {
          if (round.dexie === undefined) throw new Error('no Dexie database this round');
          const r = await b.call('dexieReadAll', { name: round.dexie, collective: seeded.collective });
          if (r.count !== seeded.count) throw new Error(`Dexie read ${r.count} of ${seeded.count}`);
          return perSecond(r.count, r.ms);
        },
      },
      {
        label: 'RxDB find().exec(), in the page',
        role: 'peer',
        async run() {
          if (round.rxdb === undefined) throw new Error('no RxDB database this round');
          const r = await b.call('rxdbReadAll', { name: round.rxdb });
          if (r.count !== seeded.count) throw new Error(`RxDB read ${r.count} of ${seeded.count}`);
          return perSecond(r.count, r.ms);
        },
      },
    ],
  };
  const outcome = await runRounds({
    section: 'initial sync',
    rounds: ctx.rounds,
    comparisons: [sync, readWithPeers],
    budget: ctx.budget,
    log: ctx.log,
    afterRound: () => dropRound(b, round),
  });
  const [syncResult, readResult] = outcome.results;
  const heap = syncResult?.side.find((s) => s.key === 'heapMb')?.summary.median;
  if (heap !== undefined && Number.isFinite(heap)) ctx.shared.set('heapMb100k', heap);
  const rounds = { run: outcome.roundsRun, asked: outcome.roundsAsked };
  const common = [
    `the SDK's worker, seen by the probe in an unmeasured sync: ${shape.description}; the limits copy that batching and durability`,
    `feed: ${seeded.count.toLocaleString('en-US')} records of ~${seeded.bytes} B in '${seeded.collective}', pushed to pulsesync-server (SQLite, 127.0.0.1) in ${(seeded.seedMs / 1000).toFixed(1)} s before the rounds`,
    'the limits and Dexie write the rows with no network (pure IndexedDB); RxDB pulls the same feed over the same HTTP',
  ];
  return [
    {
      title: `2 Initial sync: ${seeded.count.toLocaleString('en-US')} × ~${seeded.bytes} B, createSyncClient (worker, HTTP, SQLite server)`,
      rows: syncResult === undefined ? [] : comparisonRows(syncResult),
      notes: [...common, ...(syncResult === undefined ? [] : comparisonNotes(syncResult))],
      rounds,
      ...(syncResult === undefined ? {} : { results: [syncResult] }),
    },
    {
      title: `3 Read the whole collection (${seeded.count.toLocaleString('en-US')} records) after each round's sync`,
      rows: readResult === undefined ? [] : comparisonRows(readResult),
      notes: readResult === undefined ? [] : comparisonNotes(readResult),
      rounds,
      ...(readResult === undefined ? {} : { results: [readResult] }),
    },
  ];
}

/** Sections 2 and 3. */
export const initialSyncSection: Section = { key: 'sync', title: '2 Initial sync', minutes: 14, run: initialSync };
