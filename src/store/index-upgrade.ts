/**
 * Opening the replica's database with the indexes the app declares. IndexedDB changes
 * indexes only in a version-change transaction, so a changed declaration opens the
 * database at its current version + 1 and the upgrade adds and drops indexes there.
 *
 * Across tabs: every other connection first gets `versionchange`. A pulsesync replica
 * closes at once and fails its later calls `DATABASE_CLOSED` saying another tab
 * upgraded (its page also hears it, through `onClosed`): an old tab never blocks the
 * upgrade. A connection that does not let go (a frozen tab, foreign code) blocks it: the
 * open then fails `DATABASE_BLOCKED` after `blockedTimeoutMs` instead of hanging.
 *
 * Two tabs with different declarations (an old and a new deployment) would each make
 * the database theirs when they open; the tab holding the other declaration is closed
 * by that upgrade, so they do not fight while open. Racing opens are settled by
 * checking again after each upgrade, a few times at most.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { closedByVersionChange } from './idb-connection.ts';
import { closedError, toSyncError } from './idb-errors.ts';
import { openDatabase, type OpenDatabaseOptions } from './open-database.ts';
import { applyIndexes, hasIndexes, type IndexDefinition } from './record-indexes.ts';
import { SCHEMA_VERSION } from './schema.ts';

/** Upgrades in a row before giving up: more means tabs keep changing the indexes under us. */
const MAX_UPGRADES = 3;

/**
 * An opener (`ReplicaOptions.open`) that leaves the database at the current layout
 * ({@link SCHEMA_VERSION}) with exactly `indexes` as its managed indexes on `records`.
 * `onClosed` hears it when another tab's upgrade or delete closes a connection it opened.
 */
export function openWithIndexes(
  indexes: readonly IndexDefinition[],
  onClosed?: (error: SyncError) => void,
): (options: OpenDatabaseOptions) => Promise<IDBDatabase> {
  const wanted = new Map(indexes.map((index) => [index.name, index]));
  const upgrade = (tx: IDBTransaction): void => applyIndexes(tx, wanted);
  return async (options) => {
    let db = await openDatabase({ ...options, upgrade });
    for (let upgrades = 0; ; upgrades++) {
      let current: boolean;
      try {
        current = db.version >= SCHEMA_VERSION && hasIndexes(db, wanted);
      } catch (error) {
        db.close(); // closed under us (another tab's upgrade or delete)
        throw toSyncError(error, `opening "${options.name}"`);
      }
      if (current) break;
      db.close();
      if (upgrades === MAX_UPGRADES) {
        throw new SyncError(
          ErrorCode.DATABASE_BLOCKED,
          `The indexes of the local database "${options.name}" changed under each of ${MAX_UPGRADES} upgrades: other tabs run another version of this app. Close or reload them.`,
          { details: { database: options.name } },
        );
      }
      db = await openDatabase({ ...options, upgrade, version: Math.max(SCHEMA_VERSION, db.version + 1) });
    }
    // Beside the replica's own handler (which closes the connection): the page is told at once.
    if (onClosed !== undefined) db.addEventListener('versionchange', (event) => onClosed(closedError(options.name, closedByVersionChange(event))));
    return db;
  };
}
