/**
 * Collections' way into the records: a read-only transaction over the `records` store
 * (and its indexes) that answers as soon as its reads do. A read-only transaction has
 * nothing to commit, so waiting for its `complete` event (a round trip to the browser's
 * IndexedDB process) only adds latency: about a third of a 50-record query page in
 * Chromium. Like every call of the replica, it fails as a SyncError. Unlike the sync
 * path's calls it does not reopen a connection the browser lost (`lost-connection.ts`):
 * that query fails, and the replica's next own call reopens it (the sync loop makes
 * one at least every interval), which keeps that code out of the default worker.
 */
import type { IdbConnection, KeyRangeFactory } from './idb-connection.ts';
import { toSyncError } from './idb-errors.ts';
import { Stores } from './schema.ts';

/** What a records reader gets beside the store: the replica's key ranges and key order. */
export interface RecordKeys {
  readonly range: KeyRangeFactory;
  readonly cmp: (a: unknown, b: unknown) => number;
}

/** Runs `body` over `store` in a new read-only transaction; failures come out as SyncErrors. */
export async function readOnly<T>(db: IDBDatabase, store: string, what: string, body: (store: IDBObjectStore) => Promise<T>): Promise<T> {
  let tx: IDBTransaction;
  try {
    tx = db.transaction(store, 'readonly');
  } catch (error) {
    throw toSyncError(error, what);
  }
  try {
    return await body(tx.objectStore(store));
  } catch (error) {
    throw toSyncError(tx.error ?? error, what);
  }
}

/** Runs `body` over the replica's `records` store in one read-only transaction. */
export function readRecords<T>(conn: IdbConnection, what: string, body: (records: IDBObjectStore, keys: RecordKeys) => Promise<T>): Promise<T> {
  const { keyRange: range, factory } = conn.settings;
  const keys: RecordKeys = { range, cmp: (a, b) => factory.cmp(a, b) };
  return conn.guard(what, async () => readOnly(await conn.database(), Stores.records, what, (records) => body(records, keys)));
}
