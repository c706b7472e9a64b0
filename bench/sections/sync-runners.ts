/**
 * The runners of an initial sync and of reading the synced collection, shared by the
 * 100k section and the million one: pulsesync's `initialSync` with its worker watched,
 * plain IndexedDB writing the same rows with the SDK's own batching and durability (as
 * the probe saw them in an unmeasured sync), and the reads of what each wrote.
 */
import type { BenchBrowser, BenchClient } from '../lib/bench-browser.ts';
import type { Reference, Runner, Sample, SideFigure } from '../lib/rounds.ts';
import { freshName } from '../lib/section.ts';
import type { SeededServer } from '../lib/seeded-server.ts';
import { perSecond } from '../lib/stats.ts';
import { describeReading, recordsDurability } from '../lib/worker-probe.ts';

/** Databases a round keeps between its sync and its read, dropped after the round. */
export interface SyncRound {
  sdk?: BenchClient;
  limit?: string;
  dexie?: string;
  rxdb?: string;
}

/** How the SDK commits a pulled feed: what the limit must copy. */
export interface SyncShape {
  readonly durability: IDBTransactionDurability;
  /** Records per read-write transaction on `records`, rounded. */
  readonly batch: number;
  readonly transactions: number;
  readonly description: string;
}

/** The SDK's side figures during a sync. */
export const SYNC_SIDE: readonly SideFigure[] = [
  { key: 'heapMb', label: 'worker peak JS heap (CDP Runtime.getHeapUsage, sampled 50 ms)', unit: 'MB' },
  { key: 'workerGap', label: 'worker longest gap (in-worker setTimeout(0) heartbeat)', unit: 'ms' },
  { key: 'workerGaps50', label: 'worker gaps ≥ 50 ms', unit: 'count' },
  { key: 'mainTask', label: 'main-thread longest task (longtask observer; 0 = none ≥ 50 ms)', unit: 'ms', target: { atMost: 50 } },
];

const serverOf = (s: SeededServer): { url: string; token: string } => ({ url: s.url, token: s.token });

/** One unmeasured SDK initial sync with the probe: its durability and records per transaction. Doubles as the warm-up. */
export async function observeSync(b: BenchBrowser, seeded: SeededServer, log: (m: string) => void): Promise<SyncShape> {
  const client = await b.openClient({ name: freshName('sync-warm'), ...serverOf(seeded) });
  try {
    const o = await client.observe(() => b.call('sdkInitialSync', { name: client.name }));
    if (o.result.count !== seeded.count) throw new Error(`warm-up initialSync pulled ${o.result.count} of ${seeded.count}`);
    if (o.probe === undefined) throw new Error('no probe reading from the worker: cannot tell the SDK\'s batching and durability');
    const { durability, transactions } = recordsDurability(o.probe);
    const batch = Math.max(1, Math.round(seeded.count / Math.max(1, transactions)));
    const description = `${describeReading(o.probe)} for ${seeded.count.toLocaleString('en-US')} records: ${batch} per transaction`;
    log(`initial sync warm-up: ${description}`);
    return { durability, batch, transactions, description };
  } finally {
    await client.close();
  }
}

/** pulsesync's `initialSync` on a fresh client, default settings; the client stays open for the read. */
export function sdkSync(b: BenchBrowser, seeded: SeededServer, round: SyncRound, label: string): Runner {
  return {
    label,
    async run(): Promise<Sample> {
      const client = await b.openClient({ name: freshName('sync'), ...serverOf(seeded) });
      round.sdk = client;
      const o = await client.observe(() => b.call('sdkInitialSync', { name: client.name }));
      if (o.result.count !== seeded.count) throw new Error(`initialSync pulled ${o.result.count} of ${seeded.count}`);
      return {
        value: perSecond(o.result.count, o.result.ms),
        side: {
          heapMb: o.heapPeakMb,
          workerGap: o.probe?.maxGapMs ?? Number.NaN,
          workerGaps50: o.probe?.gapsOver50 ?? Number.NaN,
          mainTask: o.result.longestTaskMs,
        },
      };
    },
  };
}

/** Plain IndexedDB writing the feed's rows with the SDK's batching at `durability`; kept for the read when `keep` is given. */
export function limitSync(b: BenchBrowser, seeded: SeededServer, shape: SyncShape, durability: IDBTransactionDurability, keep: SyncRound | undefined, target?: number): Reference {
  const same = durability === shape.durability ? ' (as the SDK)' : '';
  return {
    label: `plain IDB, ${shape.batch}/tx + cursor, ${durability}${same}`,
    role: 'limit',
    ...(target === undefined ? {} : { target }),
    async run() {
      const r = await b.call('limitPutBatches', { count: seeded.count, bytes: seeded.bytes, batch: shape.batch, durability, collective: seeded.collective });
      if (keep !== undefined) keep.limit = r.name;
      else await b.call('limitDrop', { name: r.name });
      return perSecond(seeded.count, r.ms);
    },
  };
}

/** `client.list(collective)` on the round's synced client. */
export function sdkRead(b: BenchBrowser, seeded: SeededServer, round: SyncRound, label: string): Runner {
  return {
    label,
    async run(): Promise<Sample> {
      if (round.sdk === undefined) throw new Error('no synced client this round');
      const r = await b.call('sdkList', { name: round.sdk.name, collective: seeded.collective });
      if (r.count !== seeded.count) throw new Error(`list returned ${r.count} of ${seeded.count}`);
      return { value: perSecond(r.count, r.ms), side: { mainTask: r.longestTaskMs } };
    },
  };
}

/**
 * `list(collective)` of a client with collections on the round's synced replica, read on
 * the page straight from IndexedDB in chunks (the read path of collections' `list` and
 * `query({})`); the longest main-thread task is a side figure (target: none over 50 ms).
 */
export function sdkPageRead(b: BenchBrowser, seeded: SeededServer, round: SyncRound, label: string): Runner {
  return {
    label,
    async run(): Promise<Sample> {
      if (round.sdk === undefined) throw new Error('no synced client this round');
      const r = await b.call('sdkPageList', { name: round.sdk.name, ...serverOf(seeded), collective: seeded.collective });
      if (r.count !== seeded.count) throw new Error(`page list returned ${r.count} of ${seeded.count}`);
      return { value: perSecond(r.count, r.ms), side: { mainTask: r.longestTaskMs } };
    },
  };
}

/** Plain `getAll` over the collective's key range, in the page, on the limit's database of this round. */
export function limitRead(b: BenchBrowser, seeded: SeededServer, round: SyncRound, target?: number): Reference {
  return {
    label: 'plain IDB getAll over the collective, in the page',
    role: 'limit',
    ...(target === undefined ? {} : { target }),
    async run() {
      if (round.limit === undefined) throw new Error('no limit database this round');
      const r = await b.call('limitReadAll', { name: round.limit, collective: seeded.collective });
      if (r.count !== seeded.count) throw new Error(`getAll returned ${r.count} of ${seeded.count}`);
      // The page deserialises a getAll's answer too: its long task is the floor for the SDK's.
      return { value: perSecond(r.count, r.ms), info: `main-thread longest task ${r.longestTaskMs.toFixed(0)} ms (0 = none ≥ 50 ms; last round)` };
    },
  };
}

/** Closes and deletes everything a round kept. */
export async function dropRound(b: BenchBrowser, round: SyncRound): Promise<void> {
  const sdk = round.sdk;
  const { limit, dexie, rxdb } = round;
  delete round.sdk;
  delete round.limit;
  delete round.dexie;
  delete round.rxdb;
  await sdk?.close();
  if (limit !== undefined) await b.call('limitDrop', { name: limit });
  if (dexie !== undefined) await b.call('dexieDrop', { name: dexie });
  if (rxdb !== undefined) await b.call('rxdbDrop', { name: rxdb });
}
