/**
 * Which failures mean "the browser took the connection away" (reopen once and retry)
 * — Safari's own messages included, which no engine on this machine produces — and
 * that the retry happens once, on a fresh connection, and never for other failures.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import { toSyncError } from '../../src/store/idb-errors.ts';
import { isLostConnection, withOneReconnect } from '../../src/store/lost-connection.ts';

const unknown = (message: string): SyncError => toSyncError(new DOMException(message, 'UnknownError'), 'put');

describe('a lost IndexedDB connection', () => {
  it('is a closed connection, or Safari’s “connection lost” and “database deleted”', () => {
    expect(isLostConnection(toSyncError(new DOMException('The database connection is closing.', 'InvalidStateError'), 'put'))).toBe(true);
    expect(isLostConnection(unknown('Connection to Indexed Database server lost. Refresh the page to try again'))).toBe(true);
    expect(isLostConnection(unknown('Database deleted by request of the user'))).toBe(true);
  });

  it('is not a quota failure, another unknown error, or a non-SyncError', () => {
    expect(isLostConnection(toSyncError(new DOMException('full', 'QuotaExceededError'), 'put'))).toBe(false);
    expect(isLostConnection(unknown('An internal error was encountered in the Indexed Database server'))).toBe(false);
    expect(isLostConnection(new Error('Connection to Indexed Database server lost'))).toBe(false);
  });

  it('is retried once on a new connection; a second loss reaches the caller', async () => {
    const first = { n: 1 } as unknown as IDBDatabase;
    const second = { n: 2 } as unknown as IDBDatabase;
    const connections = [first, second];
    const forgotten: IDBDatabase[] = [];
    const used: IDBDatabase[] = [];
    const lost = new SyncError(ErrorCode.DATABASE_CLOSED, 'closed');
    const result = withOneReconnect(
      async () => connections.shift() as IDBDatabase,
      (db) => forgotten.push(db),
      async (db) => {
        used.push(db);
        throw lost;
      },
    );
    await expect(result).rejects.toBe(lost);
    expect(used).toEqual([first, second]);
    expect(forgotten).toEqual([first]);
  });

  it('other failures are not retried', async () => {
    let calls = 0;
    const quota = new SyncError(ErrorCode.QUOTA_EXCEEDED, 'full');
    await expect(
      withOneReconnect(
        async () => ({}) as IDBDatabase,
        () => undefined,
        async () => {
          calls++;
          throw quota;
        },
      ),
    ).rejects.toBe(quota);
    expect(calls).toBe(1);
  });
});
