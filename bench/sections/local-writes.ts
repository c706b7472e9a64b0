/**
 * Section 1: local writes of 10,000 records of ~250 B, through `createSyncClient` (the
 * worker, Comlink, the replica's transaction), against plain IndexedDB writing the same
 * rows with the same batching and durability in the same page, Dexie and RxDB as peers,
 * and the replica alone in the page as the part without the worker.
 */
import { comparisonNotes, comparisonRows, type SectionReport } from '../lib/report.ts';
import { runRounds, type Comparison, type Reference, type Runner } from '../lib/rounds.ts';
import { freshName, RECORD_BYTES, type Section, type SectionContext } from '../lib/section.ts';
import { perSecond } from '../lib/stats.ts';
import { describeReading, recordsDurability } from '../lib/worker-probe.ts';
import type { BenchBrowser } from '../lib/bench-browser.ts';

const COUNT = 10_000;

type SdkWrite = 'sdkPutMany' | 'sdkPutOne';

/** An SDK write on a fresh client, with its worker watched. */
function sdkWrite(b: BenchBrowser, server: { url: string; token: string }, label: string, fn: SdkWrite): Runner {
  return {
    label,
    async run() {
      const client = await b.openClient({ name: freshName(fn), ...server });
      try {
        const o = await client.observe(() => b.call(fn, { name: client.name, count: COUNT, bytes: RECORD_BYTES }));
        return {
          value: perSecond(COUNT, o.result),
          side: { workerGap: o.probe?.maxGapMs ?? Number.NaN },
          ...(o.probe === undefined ? {} : { info: `worker: ${describeReading(o.probe)} per run` }),
        };
      } finally {
        await client.close();
      }
    },
  };
}

/** The durability the SDK's record transactions use for `fn`, seen by the probe in a small unmeasured run (the warm-up). */
async function observedDurability(b: BenchBrowser, server: { url: string; token: string }, fn: SdkWrite, log: (m: string) => void): Promise<IDBTransactionDurability> {
  const client = await b.openClient({ name: freshName(`${fn}-warm`), ...server });
  try {
    const o = await client.observe(() => b.call(fn, { name: client.name, count: 1_000, bytes: RECORD_BYTES }));
    if (o.probe === undefined) {
      log(`${fn}: no probe reading; assuming the browser's default durability`);
      return 'default';
    }
    log(`${fn} warm-up: ${describeReading(o.probe)}`);
    return recordsDurability(o.probe).durability;
  } finally {
    await client.close();
  }
}

/** Plain IndexedDB at the case's durability and, if that is not the default, at the default too. */
function limits(durability: IDBTransactionDurability, make: (d: IDBTransactionDurability) => Reference): Reference[] {
  return durability === 'default' ? [make('default')] : [make(durability), make('default')];
}

function ms(count: number, run: () => Promise<number>): () => Promise<number> {
  return async () => perSecond(count, await run());
}

async function localWrites(ctx: SectionContext): Promise<SectionReport[]> {
  const b = await ctx.browser();
  const seeded = await ctx.seeded();
  const server = { url: seeded.url, token: seeded.token };
  const bulk = await observedDurability(b, server, 'sdkPutMany', ctx.log);
  const single = await observedDurability(b, server, 'sdkPutOne', ctx.log);
  const write = { count: COUNT, bytes: RECORD_BYTES };
  const small = { count: 1_000, bytes: RECORD_BYTES };
  const workerGap = { key: 'workerGap', label: 'worker longest gap (in-worker setTimeout(0) heartbeat)', unit: 'ms' };

  const putMany: Comparison = {
    label: `client.putMany(${COUNT.toLocaleString('en-US')}), one call`,
    unit: 'rec/s',
    better: 'higher',
    subject: sdkWrite(b, server, `client.putMany(${COUNT.toLocaleString('en-US')}), one call`, 'sdkPutMany'),
    side: [workerGap],
    references: [
      ...limits(bulk, (durability) => ({
        label: `plain IDB, ${COUNT.toLocaleString('en-US')} puts in 1 tx, ${durability}`,
        role: 'limit',
        ...(durability === bulk ? { target: 0.8 } : {}),
        warmUp: async () => void (await b.call('limitPutOneTx', { ...small, durability })),
        run: ms(COUNT, () => b.call('limitPutOneTx', { ...write, durability })),
      })),
      {
        label: `Dexie 4 bulkPut, ${bulk}`,
        role: 'peer',
        warmUp: async () => void (await b.call('dexieBulkPut', { ...small, durability: bulk })),
        run: ms(COUNT, () => b.call('dexieBulkPut', { ...write, durability: bulk })),
      },
      {
        label: `RxDB bulkInsert (Dexie storage), ${bulk}`,
        role: 'peer',
        warmUp: async () => void (await b.call('rxdbBulkInsert', { ...small, durability: bulk })),
        run: ms(COUNT, () => b.call('rxdbBulkInsert', { ...write, durability: bulk })),
      },
      {
        label: 'replica.putMany in the page (no worker, no Comlink)',
        role: 'part',
        warmUp: async () => void (await b.call('replicaPutMany', small)),
        run: ms(COUNT, () => b.call('replicaPutMany', write)),
      },
    ],
    note: 'target ≥ 0.80× carried over from the previous bench (the issue names none for putMany)',
  };

  const putOne: Comparison = {
    label: `client.put × ${COUNT.toLocaleString('en-US')}, each awaited`,
    unit: 'rec/s',
    better: 'higher',
    subject: sdkWrite(b, server, `client.put × ${COUNT.toLocaleString('en-US')}, each awaited`, 'sdkPutOne'),
    side: [workerGap],
    references: [
      ...limits(single, (durability) => ({
        label: `plain IDB, 1 put per tx × ${COUNT.toLocaleString('en-US')}, ${durability}`,
        role: 'limit',
        ...(durability === single ? { target: 0.65 } : {}),
        warmUp: async () => void (await b.call('limitPutOnePerTx', { ...small, durability })),
        run: ms(COUNT, () => b.call('limitPutOnePerTx', { ...write, durability })),
      })),
      {
        label: `Dexie 4 put × ${COUNT.toLocaleString('en-US')}, ${single}`,
        role: 'peer',
        warmUp: async () => void (await b.call('dexiePutOne', { ...small, durability: single })),
        run: ms(COUNT, () => b.call('dexiePutOne', { ...write, durability: single })),
      },
      {
        label: `RxDB insert × ${COUNT.toLocaleString('en-US')}, ${single}`,
        role: 'peer',
        warmUp: async () => void (await b.call('rxdbInsertOne', { ...small, durability: single })),
        run: ms(COUNT, () => b.call('rxdbInsertOne', { ...write, durability: single })),
      },
      {
        label: `replica.put × ${COUNT.toLocaleString('en-US')} in the page (no worker)`,
        role: 'part',
        warmUp: async () => void (await b.call('replicaPutOne', small)),
        run: ms(COUNT, () => b.call('replicaPutOne', write)),
      },
    ],
  };

  // BENCH_LOCAL=put: the awaited puts alone; BENCH_LIMITS_ONLY=1: no peers or parts (quicker runs while working on one figure).
  const wanted = process.env['BENCH_LOCAL'] === 'put' ? [putOne] : [putMany, putOne];
  const limitsOnly = process.env['BENCH_LIMITS_ONLY'] === '1';
  const comparisons = limitsOnly ? wanted.map((c) => ({ ...c, references: (c.references ?? []).filter((r) => r.role === 'limit') })) : wanted;
  const outcome = await runRounds({ section: 'local writes', rounds: ctx.rounds, comparisons, budget: ctx.budget, log: ctx.log });
  return [
    {
      title: `1 Local writes: ${COUNT.toLocaleString('en-US')} records of ~${RECORD_BYTES} B, createSyncClient (worker) vs plain IndexedDB in the same page`,
      rows: outcome.results.flatMap(comparisonRows),
      notes: [
        `durability seen in the SDK's worker (warm-up probe): putMany ${bulk}, put ${single}; each limit and peer writes with it, and the default too where it differs`,
        'limits and Dexie store the replica\'s own row shape (toRecordRow) under its key path [collective, id]; RxDB stores the values as documents',
        'the SDK commits each transaction explicitly (IDBTransaction.commit()) once its requests are placed; the plain limits leave it to auto-commit, as a plain loop does, which in Chromium waits for every result first: a reference, not a ceiling (a raw one-put loop with commit() ran 1.33× the plain one in a 60-round test in a worker)',
        ...outcome.results.flatMap(comparisonNotes),
      ],
      rounds: { run: outcome.roundsRun, asked: outcome.roundsAsked },
      results: outcome.results,
    },
  ];
}

/** Section 1. */
export const localWritesSection: Section = { key: 'local', title: '1 Local writes', minutes: 8, run: localWrites };
