/**
 * Promises over raw IndexedDB requests and transactions. Raw rather than `idb`: the
 * write paths are measured in puts (~50 µs each in Chromium), `idb`'s proxies add ~12%
 * on bulk writes, and owning the event handlers lets every failure — request error,
 * abort, quota at commit — settle the promise instead of hanging it.
 */
import { toSyncError } from './idb-errors.ts';

/** Resolves with the request's result; rejects with its error. */
export function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new DOMException('The request failed', 'UnknownError'));
  });
}

/** How to run a transaction. */
export interface TransactionOptions {
  /** Names the operation in error messages ("putMany", "applyRemote"). */
  readonly what: string;
  readonly durability?: IDBTransactionDurability;
}

/**
 * Runs `body` in a transaction over `stores` and resolves once the transaction has
 * committed (`complete`), with what `body` returned. `body` must use the transaction at
 * once: it may await the transaction's own requests, nothing else (browsers commit an
 * idle transaction).
 *
 * If `body` throws, the transaction is aborted and nothing it wrote stays. Rejects with
 * a SyncError: the transaction's own error is preferred (on quota failures the request
 * errors are null or AbortError and only `transaction.error` says QuotaExceededError).
 */
export async function runTransaction<T>(
  db: IDBDatabase,
  stores: readonly string[],
  mode: IDBTransactionMode,
  options: TransactionOptions,
  body: (tx: IDBTransaction) => Promise<T> | T,
): Promise<T> {
  let tx: IDBTransaction;
  try {
    tx =
      options.durability === undefined
        ? db.transaction(stores, mode)
        : db.transaction(stores, mode, { durability: options.durability });
  } catch (error) {
    throw toSyncError(error, options.what);
  }
  const done = new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new DOMException('The transaction was aborted', 'AbortError'));
  });
  // The transaction may abort while `body` still awaits; mark `done` handled now so that
  // is not reported as an unhandled rejection. It is awaited below either way.
  done.catch(() => undefined);

  let result: T;
  try {
    result = await body(tx);
  } catch (bodyError) {
    try {
      tx.abort();
    } catch {
      // Already aborting or finished (a request error aborts it by default).
    }
    const txError = await done.then(
      () => null,
      () => tx.error,
    );
    throw toSyncError(txError ?? bodyError, options.what);
  }
  // `body` has placed its last request: say so now rather than leave it to auto-commit,
  // which in Chromium waits until every request's result is back on this thread and
  // then asks the browser process to commit: one round trip more per transaction.
  try {
    tx.commit();
  } catch {
    // No longer active (it commits by itself), or an engine without commit().
  }
  try {
    await done;
  } catch (error) {
    throw toSyncError(error, options.what);
  }
  return result;
}
