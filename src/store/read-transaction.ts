/**
 * A read-only transaction over one store that answers as soon as its reads do. A
 * read-only transaction has nothing to commit, so waiting for its `complete` event (a
 * round trip to the browser's IndexedDB process) only adds latency: about a third of
 * a 50-record query page in Chromium.
 */
import { toSyncError } from './idb-errors.ts';

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
