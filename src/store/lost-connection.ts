/**
 * A connection that went away under the replica: Safari loses its IndexedDB connection
 * ("Connection to Indexed Database server lost. Refresh the page to try again",
 * localForage #1113, idb #238) or closes it when the user deletes the site's data
 * ("Database deleted by request of the user"), often with no `close` event — the next
 * transaction then fails `InvalidStateError` or `UnknownError`. The replica reopens once
 * and runs the call again; a second failure, or a database that is gone, reaches the
 * caller and the sync status as `DATABASE_CLOSED`.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';

const LOST = /connection to indexed database server lost|database deleted|connection is clos/i;

/** Did `error` (from a transaction) come from a connection the browser closed or lost? */
export function isLostConnection(error: unknown): boolean {
  if (!(error instanceof SyncError)) return false;
  // InvalidStateError from db.transaction(): the connection is closed (toSyncError maps it so).
  if (error.code === ErrorCode.DATABASE_CLOSED) return true;
  const cause = error.cause as { name?: unknown; message?: unknown } | undefined;
  return cause?.name === 'UnknownError' && typeof cause.message === 'string' && LOST.test(cause.message);
}

/**
 * Runs `call` on the current connection; if the connection turns out lost, `forget`s it
 * and runs `call` once more on the connection `connection()` opens anew (which refuses a
 * deleted database). Safe for a transaction body: a lost connection commits nothing.
 */
export async function withOneReconnect<T>(
  connection: () => Promise<IDBDatabase>,
  forget: (lost: IDBDatabase) => void,
  call: (db: IDBDatabase) => Promise<T>,
): Promise<T> {
  const db = await connection();
  try {
    return await call(db);
  } catch (error) {
    if (!isLostConnection(error)) throw error;
    forget(db);
    return call(await connection());
  }
}
