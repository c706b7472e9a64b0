/**
 * Opening the replica's database through an injected `IDBFactory`, with the schema
 * upgrade, a time limit on a blocked upgrade, and a mode for reopening that refuses to
 * recreate a database somebody deleted.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { toSyncError } from './idb-errors.ts';
import { upgradeSchema } from './schema.ts';

/** What {@link openDatabase} needs. */
export interface OpenDatabaseOptions {
  readonly factory: IDBFactory;
  readonly name: string;
  /** How long a `blocked` open may wait for other tabs to close before it fails. */
  readonly blockedTimeoutMs: number;
  /**
   * The database must already exist (a reopen after the browser closed it). If it is
   * gone, the open is undone and fails with `DATABASE_CLOSED` rather than quietly
   * starting an empty replica under a new identity.
   */
  readonly mustExist: boolean;
  /**
   * Version to open at. Default: the database's current one (a new database starts at
   * 1), so an app that declares no collections opens a database whose indexes another
   * version of it made; `openWithIndexes` (index-upgrade.ts) asks for the next one when
   * the declared indexes change.
   */
  readonly version?: number;
  /** A step after pulsesync's stores in an upgrade, in its version-change transaction (collections' indexes). */
  readonly upgrade?: (tx: IDBTransaction) => void;
}

/**
 * Opens (creating or upgrading) the database; never hangs. The open fails
 * `DATABASE_BLOCKED` if it has neither started an upgrade nor finished within
 * `blockedTimeoutMs`: either our upgrade is blocked by another tab (a `blocked` event),
 * or our open waits in line behind another tab's blocked upgrade or delete (no event at
 * all reaches us then, so the clock runs from the start, not from `blocked`). Once the
 * upgrade runs, the clock stops: a long migration is not a blocked one.
 */
export function openDatabase(options: OpenDatabaseOptions): Promise<IDBDatabase> {
  const { factory, name, blockedTimeoutMs, mustExist, version } = options;
  return new Promise<IDBDatabase>((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      // An undefined version is an absent one (WebIDL): the database's current version.
      request = factory.open(name, version);
    } catch (error) {
      reject(toSyncError(error, `opening "${name}"`));
      return;
    }
    let settled = false;
    let deleted = false;
    const fail = (error: SyncError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    };

    const timer = setTimeout(() => {
      fail(
        new SyncError(
          ErrorCode.DATABASE_BLOCKED,
          `Opening "${name}" is blocked by another tab (older version, upgrading or deleting it): close or reload the other tabs`,
          { details: { database: name, blockedTimeoutMs } },
        ),
      );
    }, blockedTimeoutMs);

    request.onupgradeneeded = (event) => {
      clearTimeout(timer);
      const tx = request.transaction;
      if (mustExist && event.oldVersion === 0) {
        deleted = true;
        tx?.abort();
        return;
      }
      try {
        upgradeSchema(request.result, event.oldVersion);
        options.upgrade?.(tx as IDBTransaction);
      } catch (error) {
        tx?.abort();
        fail(toSyncError(error, `upgrading "${name}"`));
      }
    };
    request.onsuccess = () => {
      const db = request.result;
      if (settled) {
        // We gave up (blocked) before the open went through: do not keep a connection
        // nobody owns, it would block the next upgrade in turn.
        db.close();
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve(db);
    };
    request.onerror = (event) => {
      // Handled here; do not let it surface as an uncaught error.
      event.preventDefault();
      if (deleted) {
        fail(
          new SyncError(
            ErrorCode.DATABASE_CLOSED,
            `The local database "${name}" was deleted (by another tab, the user or the browser): open a new one`,
            { details: { database: name } },
          ),
        );
        return;
      }
      fail(toSyncError(request.error, `opening "${name}"`));
    };
  });
}
