/**
 * The embedded default {@link ServerStore}: one SQLite file through better-sqlite3, in
 * WAL mode. better-sqlite3 is synchronous; this wraps it in the store's async API.
 *
 * Two connections: a writer, on which push transactions run one at a time
 * (`BEGIN IMMEDIATE`, queued in this process, so a transaction's awaits never
 * interleave with another's), and a reader for the change feed. A feed read on the
 * writer would see a push that is half-way and may still roll back; on its own
 * connection, WAL gives it the last committed snapshot.
 */
import Database from 'better-sqlite3';
import { ErrorCode, SyncError } from '../../protocol/errors.ts';
import type { InstanceId, SyncCursor } from '../../protocol/types.ts';
import {
  recordKey,
  type ChangePage,
  type ChangeQuery,
  type ServerRecord,
  type ServerStore,
  type ServerStoreTransaction,
} from '../types.ts';
import { commitListeners } from './commit-listeners.ts';
import { serialQueue } from './serial-queue.ts';
import { guardTransaction } from './transaction-guard.ts';
import { distinctCollectivesSql, RECORD_COLUMNS, recordFromRow, valueColumn, type RecordRow } from './record-row.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
  collective TEXT NOT NULL,
  id TEXT NOT NULL,
  op TEXT NOT NULL,
  value TEXT,
  hlc TEXT NOT NULL,
  source TEXT NOT NULL,
  version INTEGER NOT NULL UNIQUE,
  PRIMARY KEY (collective, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_by_collective ON records (collective, version);
CREATE TABLE IF NOT EXISTS applied (source TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
`;

/**
 * Opens (or creates) the SQLite store at `path`. The server id is made on first open
 * and kept in the file.
 *
 * @example
 * const server = createSyncServer({ store: sqliteServerStore('./pulsesync.db') });
 */
export function sqliteServerStore(path: string): ServerStore {
  return new SqliteServerStore(path);
}

function openDatabase(path: string): Database.Database {
  try {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    // FULL: a push is acknowledged only once it survives a power loss, because the
    // client then drops the change from its log (NORMAL could lose the last commits).
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (error) {
    throw new SyncError(ErrorCode.INTERNAL, `Could not open the SQLite database ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** The feed filter; `@collectives` is a JSON array or null for all, `@exclude` an instance id or null. */
const FEED_WHERE = `version > @after
  AND (@collectives IS NULL OR collective IN (SELECT value FROM json_each(@collectives)))
  AND (@exclude IS NULL OR source <> @exclude)`;

class SqliteServerStore implements ServerStore {
  readonly kind = 'sqlite';
  readonly #writer: Database.Database;
  readonly #reader: Database.Database;
  readonly #serverId: string;
  readonly #listeners = commitListeners();
  readonly #queue = serialQueue();
  #closed = false;
  readonly #sql;

  constructor(path: string) {
    this.#writer = openDatabase(path);
    this.#writer.exec(SCHEMA);
    this.#writer.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('serverId', ?)`).run(globalThis.crypto.randomUUID());
    this.#serverId = (this.#writer.prepare(`SELECT value FROM meta WHERE key = 'serverId'`).get() as { value: string }).value;
    this.#reader = openDatabase(path);
    const w = this.#writer;
    const r = this.#reader;
    this.#sql = {
      getRecord: w.prepare<[string, string], RecordRow>(`SELECT ${RECORD_COLUMNS} FROM records WHERE collective = ? AND id = ?`),
      getApplied: w.prepare<[string], { seq: number }>(`SELECT seq FROM applied WHERE source = ?`),
      setApplied: w.prepare(`INSERT INTO applied (source, seq) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET seq = excluded.seq`),
      writerLatest: w.prepare<[], { latest: number }>(`SELECT COALESCE(MAX(version), 0) AS latest FROM records`),
      upsert: w.prepare(
        `INSERT INTO records (collective, id, op, value, hlc, source, version) VALUES (@collective, @id, @op, @value, @hlc, @source, @version)
         ON CONFLICT (collective, id) DO UPDATE SET op = excluded.op, value = excluded.value, hlc = excluded.hlc, source = excluded.source, version = excluded.version`,
      ),
      page: r.prepare(`SELECT ${RECORD_COLUMNS} FROM records WHERE ${FEED_WHERE} ORDER BY version LIMIT @limit`),
      count: r.prepare(`SELECT COUNT(*) AS total FROM records WHERE ${FEED_WHERE}`),
      latest: r.prepare<[], { latest: number }>(`SELECT COALESCE(MAX(version), 0) AS latest FROM records`),
      collectives: r.prepare<[], { collective: string }>(distinctCollectivesSql('records')),
    };
  }

  async serverId(): Promise<string> {
    this.#assertOpen();
    return this.#serverId;
  }

  transaction<T>(fn: (tx: ServerStoreTransaction) => Promise<T>): Promise<T> {
    return this.#queue.run(() => this.#run(fn));
  }

  async #run<T>(fn: (tx: ServerStoreTransaction) => Promise<T>): Promise<T> {
    this.#assertOpen();
    const sql = this.#sql;
    let wrote = false;
    const guarded = guardTransaction({
      getRecords: async (keys) => {
        const found = new Map<string, ServerRecord>();
        for (const { collective, id } of keys) {
          const row = sql.getRecord.get(collective, id);
          if (row !== undefined) found.set(recordKey(collective, id), recordFromRow(row));
        }
        return found;
      },
      getAppliedSeq: async (source: InstanceId) => sql.getApplied.get(source)?.seq ?? 0,
      setAppliedSeq: async (source, seq) => {
        sql.setApplied.run(source, seq);
      },
      writeRecords: async (rows) => {
        let version = (sql.writerLatest.get() as { latest: number }).latest;
        const written = rows.map((row): ServerRecord => ({ ...row, version: ++version }));
        for (const record of written) {
          sql.upsert.run({ ...record, value: valueColumn(record) });
        }
        if (written.length > 0) wrote = true;
        return written;
      },
    });
    this.#writer.exec('BEGIN IMMEDIATE');
    let result: T;
    try {
      result = await fn(guarded.tx);
      guarded.end();
      this.#writer.exec('COMMIT');
    } catch (error) {
      guarded.end();
      if (this.#writer.inTransaction) this.#writer.exec('ROLLBACK');
      throw error;
    }
    if (wrote) this.#listeners.emit();
    return result;
  }

  async readChanges(query: ChangeQuery): Promise<ChangePage> {
    this.#assertOpen();
    const params = {
      after: query.after,
      collectives: query.collectives === undefined ? null : JSON.stringify(query.collectives),
      exclude: query.excludeSource ?? null,
    };
    const sql = this.#sql;
    // One read transaction: page, count and latest version from one snapshot.
    return this.#reader.transaction((): ChangePage => {
      const rows = (sql.page.all({ ...params, limit: query.limit + 1 }) as RecordRow[]).map(recordFromRow);
      const hasMore = rows.length > query.limit;
      if (hasMore) rows.length = query.limit;
      const last = rows[rows.length - 1];
      const newCursor = hasMore && last !== undefined ? last.version : Math.max(query.after, (sql.latest.get() as { latest: number }).latest);
      if (query.withTotal !== true) return { rows, hasMore, newCursor };
      return { rows, hasMore, newCursor, total: (sql.count.get(params) as { total: number }).total };
    })();
  }

  async latestVersion(): Promise<SyncCursor> {
    this.#assertOpen();
    return (this.#sql.latest.get() as { latest: number }).latest;
  }

  async listCollectives(): Promise<string[]> {
    this.#assertOpen();
    return this.#sql.collectives.all().map((row) => row.collective);
  }

  onCommit(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await this.#queue.idle(); // let a transaction in flight finish
    this.#reader.close();
    this.#writer.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new SyncError(ErrorCode.SHUTDOWN, 'The SQLite server store is closed');
  }
}
