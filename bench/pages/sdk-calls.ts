/**
 * pulsesync as an app uses it: `createSyncClient` (its default worker, Comlink, the
 * HTTP transport), one client per replica name. Opening is separate from the measured
 * call, so the driver can attach to the new worker (CDP) in between; every measured
 * call is timed in the page with performance.now(), test data made before the clock
 * starts.
 */
import { defineCollections } from '../../src/client/define-collections.ts';
import { createSyncClient, type SyncClient } from '../../src/client/index.ts';
import { benchRecords } from '../../tools/records.ts';
import { longTaskWatch, longTaskWatchEnd } from './long-tasks.ts';
import { deleteDb } from './plain-idb.ts';

/** Where a bench client syncs to, and its replica name (fresh per run). */
export interface ClientOptions {
  readonly name: string;
  readonly url: string;
  readonly token: string;
  readonly config?: Record<string, number | string>;
}

/** Open clients by replica name. */
const clients = new Map<string, SyncClient>();

/** Opens a client and waits until its worker answers a read (not timed). */
export async function sdkOpen(options: ClientOptions): Promise<void> {
  const client = createSyncClient({
    name: options.name,
    url: options.url,
    token: options.token,
    ...(options.config === undefined ? {} : { config: options.config }),
  });
  clients.set(options.name, client);
  await client.get('bench', 'warm-up');
}

/** The open client of `name`. */
export function clientOf(name: string): SyncClient {
  const client = clients.get(name);
  if (client === undefined) throw new Error(`no open bench client named ${name}`);
  return client;
}

/** Closes a client and deletes its replica. */
export async function sdkClose(options: { name: string }): Promise<void> {
  const client = clients.get(options.name);
  clients.delete(options.name);
  await client?.close();
  await deleteDb(options.name);
}

/** One `putMany` of `count` records; ms. */
export async function sdkPutMany(options: { name: string; count: number; bytes: number }): Promise<number> {
  const client = clientOf(options.name);
  const records = benchRecords(options.count, options.bytes);
  const start = performance.now();
  await client.putMany(records);
  return performance.now() - start;
}

/** `count` awaited `put`s, one after another; ms. */
export async function sdkPutOne(options: { name: string; count: number; bytes: number }): Promise<number> {
  const client = clientOf(options.name);
  const records = benchRecords(options.count, options.bytes);
  const start = performance.now();
  for (const r of records) await client.put(r.collective, r.id, r.value);
  return performance.now() - start;
}

/** What an SDK call measured on the page. */
export interface PageTiming {
  readonly ms: number;
  readonly count: number;
  /** Longest main-thread long task meanwhile (0 when none reached 50 ms). */
  readonly longestTaskMs: number;
  readonly longTasks: number;
}

/** `initialSync()` with its default settings; ms, records pulled, main-thread long tasks. */
export async function sdkInitialSync(options: { name: string }): Promise<PageTiming> {
  const client = clientOf(options.name);
  longTaskWatch('sdk-initial-sync', 'start');
  const start = performance.now();
  const progress = await client.initialSync();
  const ms = performance.now() - start;
  const tasks = await longTaskWatchEnd('sdk-initial-sync');
  return { ms, count: progress.totalPulled, longestTaskMs: tasks.maxMs, longTasks: tasks.count };
}

/** `list(collective)`: the whole collective into the page; ms, count, main-thread long tasks. */
export function sdkList(options: { name: string; collective: string }): Promise<PageTiming> {
  return timedList(clientOf(options.name), options.collective, 'sdk-list');
}

/** `client.list(collective)` timed, with the main-thread long tasks meanwhile (watched as `watch`). */
async function timedList(client: SyncClient, collective: string, watch: string): Promise<PageTiming> {
  longTaskWatch(watch, 'start');
  const start = performance.now();
  const entries = await client.list(collective);
  const ms = performance.now() - start;
  const tasks = await longTaskWatchEnd(watch);
  return { ms, count: entries.length, longestTaskMs: tasks.maxMs, longTasks: tasks.count };
}

/**
 * `list(collective)` of a client with collections, read on the page straight from
 * IndexedDB (src/client/page-records.ts): ms, count, main-thread long tasks. The client
 * is opened on the synced replica `name` and warmed by a one-record query (worker
 * connected, the page's database connection open) before the clock starts, as the
 * worker path's client is warm. Its collections come from define-collections.ts, so it
 * runs the default worker, which ignores the declarations: no index upgrade of the
 * synced database (the page read needs none).
 */
export async function sdkPageList(options: ClientOptions & { collective: string }): Promise<PageTiming> {
  const client = createSyncClient({
    name: options.name,
    url: options.url,
    token: options.token,
    collections: defineCollections({ [options.collective]: {} }),
  });
  try {
    await client.collection(options.collective).query({ limit: 1 });
    return await timedList(client, options.collective, 'sdk-page-list');
  } finally {
    await client.close();
  }
}
