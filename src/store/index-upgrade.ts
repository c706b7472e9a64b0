/**
 * Opening the replica's database with the indexes the app declares. IndexedDB changes
 * indexes only in a version-change transaction, so a changed declaration opens the
 * database at its current version + 1 and the upgrade adds and drops indexes there.
 *
 * Across tabs: every other connection first gets `versionchange`. A pulsesync replica
 * closes at once and fails its later calls `DATABASE_CLOSED` saying another tab
 * upgraded (its page also hears it as an `error` event): an old tab never blocks the
 * upgrade. A connection that does not let go (a frozen tab, foreign code) blocks it: the
 * open then fails `DATABASE_BLOCKED` after `blockedTimeoutMs` instead of hanging.
 *
 * Two tabs with different declarations (an old and a new deployment) would each make
 * the database theirs when they open; the tab holding the other declaration is closed
 * by that upgrade, so they do not fight while open. Racing opens are settled by
 * checking again after each upgrade, a few times at most.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { toSyncError } from './idb-errors.ts';
import { openDatabase, type OpenDatabaseOptions } from './open-database.ts';
import { SCHEMA_VERSION, hasIndexes } from './schema.ts';

/** Upgrades in a row before giving up: more means tabs keep changing the indexes under us. */
const MAX_UPGRADES = 3;

/**
 * Opens the database at the current layout ({@link SCHEMA_VERSION}) and, when
 * `options.indexes` is given, with exactly those managed indexes on `records`.
 */
export async function openReplicaDatabase(options: Omit<OpenDatabaseOptions, 'version'>): Promise<IDBDatabase> {
  let db = await openDatabase(options);
  for (let upgrades = 0; ; upgrades++) {
    let current: boolean;
    try {
      current = db.version >= SCHEMA_VERSION && (options.indexes === undefined || hasIndexes(db, options.indexes));
    } catch (error) {
      db.close(); // closed under us (another tab's upgrade or delete)
      throw toSyncError(error, `opening "${options.name}"`);
    }
    if (current) return db;
    db.close();
    if (upgrades === MAX_UPGRADES) {
      throw new SyncError(
        ErrorCode.DATABASE_BLOCKED,
        `The indexes of the local database "${options.name}" changed under each of ${MAX_UPGRADES} upgrades: other tabs run another version of this app. Close or reload them.`,
        { details: { database: options.name } },
      );
    }
    db = await openDatabase({ ...options, version: Math.max(SCHEMA_VERSION, db.version + 1) });
  }
}
