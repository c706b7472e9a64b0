/**
 * pulsesync's side of the queries section, as an app with collections uses it:
 * `createSyncClient({ collections: defineCollections(…) })` (the collections worker),
 * queries and counts answered in that worker, live queries across tabs. The clients
 * never start sync (local reads and writes only), so their server is never contacted.
 */
import { createSyncClient, defineCollections, type CollectionsClient, type SyncClient } from '../../src/client/index.ts';
import type { QueryCursor } from '../../src/query/types.ts';
import { benchRecords } from '../../tools/records.ts';
import { deleteDb, freshName } from './plain-idb.ts';
import { QUERY_COLLECTIVE } from './query-limits.ts';

/** Never contacted: sync is not started. */
const SERVER = { url: 'http://127.0.0.1:9', token: 'unused' };

/** The query case: `notes` indexed by `n`; `live` for the live query. */
const collections = defineCollections({ [QUERY_COLLECTIVE]: { indexes: ['n'] }, live: {} });
type QueryClient = CollectionsClient<typeof collections.declared>;

const clients = new Map<string, QueryClient>();
const now = (): number => performance.timeOrigin + performance.now();

/** This page's client of replica `name` with the query case's collections (opened on first use). */
function client(name: string): QueryClient {
  let found = clients.get(name);
  if (found === undefined) {
    found = createSyncClient({ name, ...SERVER, collections });
    clients.set(name, found);
  }
  return found;
}

/** Seeds replica `name` with `count` records through `putMany` in calls of 10,000 (not timed). */
export async function sdkQuerySeed(options: { name: string; count: number; bytes: number }): Promise<void> {
  const sdk = client(options.name);
  for (let from = 0; from < options.count; from += 10_000) {
    await sdk.putMany(benchRecords(Math.min(10_000, options.count - from), options.bytes, QUERY_COLLECTIVE, from));
  }
}

/**
 * Reads `pages` pages of `size` of `query({ where: { n: { gte: fromN } }, orderBy: 'n' })`,
 * each after the previous page's `next`: page to page, as a list view scrolls.
 * Milliseconds of each page, call to resolved page in this thread.
 */
export async function sdkQueryPages(options: { name: string; pages: number; size: number; fromN: number }): Promise<number[]> {
  const notes = client(options.name).collection(QUERY_COLLECTIVE);
  const ms: number[] = [];
  let after: QueryCursor | undefined;
  for (let p = 0; p < options.pages; p++) {
    const start = performance.now();
    const page = await notes.query({ where: { n: { gte: options.fromN } }, orderBy: 'n', limit: options.size, after });
    ms.push(performance.now() - start);
    if (page.records.length !== options.size) throw new Error(`SDK page ${p} has ${page.records.length} records`);
    after = page.next;
  }
  return ms;
}

/** `pages` counts of `size` values of `n` from `fromN` on (answered from the index: no record is read or copied); ms of each. */
export async function sdkQueryCounts(options: { name: string; pages: number; size: number; fromN: number }): Promise<number[]> {
  const notes = client(options.name).collection(QUERY_COLLECTIVE);
  const ms: number[] = [];
  for (let p = 0; p < options.pages; p++) {
    const gte = options.fromN + p * options.size;
    const start = performance.now();
    const count = await notes.count({ n: { gte, lt: gte + options.size } });
    ms.push(performance.now() - start);
    if (count !== options.size) throw new Error(`SDK count ${p} is ${count}`);
  }
  return ms;
}

/**
 * One `putMany` of `count` records into a fresh replica: with `indexes` declared on
 * the collection (the collections worker), or with nothing declared (the default
 * worker). The client is opened and its replica made before the clock starts; ms.
 */
export async function sdkPutManyDeclared(options: { count: number; bytes: number; indexes: readonly string[] | null }): Promise<number> {
  const name = freshName(options.indexes === null ? 'sdk-plain' : 'sdk-indexed');
  const sdk: SyncClient =
    options.indexes === null
      ? createSyncClient({ name, ...SERVER })
      : createSyncClient({ name, ...SERVER, collections: defineCollections({ [QUERY_COLLECTIVE]: { indexes: options.indexes } }) });
  try {
    const records = benchRecords(options.count, options.bytes, QUERY_COLLECTIVE);
    await sdk.get(QUERY_COLLECTIVE, 'warm-up');
    const start = performance.now();
    await sdk.putMany(records);
    return performance.now() - start;
  } finally {
    await sdk.close();
    await deleteDb(name);
  }
}

/** When each live count arrived on this page, and who waits for one. */
const arrivals = new Map<number, number>();
const waiting = new Map<number, (at: number) => void>();

/** Tab A: watches the live count of `live` in replica `name`, noting when each count arrives (timeOrigin + now). */
export async function liveWatch(options: { name: string }): Promise<void> {
  const sdk = client(options.name);
  sdk.collection('live').watchCount(undefined, (count) => {
    const at = now();
    arrivals.set(count, at);
    waiting.get(count)?.(at);
    waiting.delete(count);
  });
  await sdk.ready;
}

/** Tab B: opens its client of replica `name` (not timed). */
export async function liveOpen(options: { name: string }): Promise<void> {
  await client(options.name).get('live', 'warm-up');
}

/** Tab B: puts record `k` in `live`; resolves with when the put started (timeOrigin + now). */
export async function liveWrite(options: { name: string; k: number }): Promise<number> {
  const sentAt = now();
  await client(options.name).collection('live').put(`k${String(options.k).padStart(6, '0')}`, { n: options.k });
  return sentAt;
}

/** Tab A: when the live count reached `count` (timeOrigin + now); NaN after `timeoutMs`. */
export function liveArrival(options: { count: number; timeoutMs: number }): Promise<number> {
  const seen = arrivals.get(options.count);
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise<number>((resolve) => {
    const timer = setTimeout(() => {
      waiting.delete(options.count);
      resolve(Number.NaN);
    }, options.timeoutMs);
    waiting.set(options.count, (at) => {
      clearTimeout(timer);
      resolve(at);
    });
  });
}

/** Closes this page's clients; deletes their replicas when `drop` (the last tab of each). */
export async function sdkQueryClose(options: { drop: boolean }): Promise<void> {
  const names = [...clients.keys()];
  for (const c of clients.values()) await c.close();
  clients.clear();
  if (options.drop) for (const name of names) await deleteDb(name);
}
