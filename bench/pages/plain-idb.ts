/**
 * Plain IndexedDB, no wrapper: promises over one request or one transaction, and the
 * database layout the limits use (the replica's `records` key path, and a `cursors`
 * store for the cursor a pulled batch carries).
 */

/** Resolves with the request's result. */
export function requestDone<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Resolves when the transaction commits; rejects on abort or error. */
export function txDone(tx: IDBTransaction): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
    tx.onerror = () => reject(tx.error ?? new Error('transaction failed'));
  });
}

/** Opens (creating) a database with the limits' layout. */
export function openRecordsDb(name: string): Promise<IDBDatabase> {
  const request = indexedDB.open(name, 1);
  request.onupgradeneeded = () => {
    request.result.createObjectStore('records', { keyPath: ['collective', 'id'] });
    request.result.createObjectStore('cursors');
  };
  return requestDone(request);
}

/** Deletes a database; resolves once gone (a blocked delete completes when the last connection closes). */
export function deleteDb(name: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}

/** The key range of one collective in `records`: arrays sort after strings, so [c, []] is above every [c, id]. */
export function collectiveRange(collective: string): IDBKeyRange {
  return IDBKeyRange.bound([collective], [collective, []]);
}

let counter = 0;
/** A fresh database name. */
export function freshName(prefix: string): string {
  return `${prefix}-${Date.now()}-${counter++}`;
}
