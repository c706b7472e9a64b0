/**
 * What every SQLite connection of the store shares, in this thread or the read worker's:
 * the SQL (the text shared with Postgres) and how a connection is opened.
 */
import Database from 'better-sqlite3';
import { ErrorCode, SyncError } from '../../../protocol/errors.ts';
import { storeSql } from '../sql/store-sql.ts';

/** The SQL shared with Postgres; the tables are the file's alone, so unprefixed. */
export const SQL = storeSql({
  tables: { meta: 'meta', records: 'records', applied: 'applied', instances: 'instances', gcFloors: 'gc_floors', gcMarks: 'gc_marks' },
  tableOptions: ' WITHOUT ROWID',
  param: () => '?',
  // The list comes as JSON text: SQLite binds no arrays.
  collectiveList: () => '(SELECT value AS collective FROM json_each(?))',
});

/** Opens a connection to the store's file at `path`, in WAL mode (`options` as better-sqlite3 takes them). */
export function openDatabase(path: string, options: Database.Options = {}): Database.Database {
  try {
    const db = new Database(path, options);
    db.pragma('journal_mode = WAL');
    // FULL: a push is acknowledged only once it survives a power loss, because the
    // client then drops the change from its log (NORMAL could lose the last commits).
    // The writer turns to NORMAL once a flush of its own takes FULL's place (wal-sync.ts).
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (error) {
    throw new SyncError(ErrorCode.INTERNAL, `Could not open the SQLite database ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
