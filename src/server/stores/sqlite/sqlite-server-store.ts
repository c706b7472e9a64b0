/**
 * The embedded default {@link ServerStore}: one SQLite file through better-sqlite3, in
 * WAL mode. better-sqlite3 is synchronous; this wraps it in the store's async API.
 *
 * Two connections: a writer, on which push transactions run one at a time
 * (`BEGIN IMMEDIATE`, queued in this process, so a transaction's awaits never
 * interleave with another's), and a reader for the change feed. A feed read on the
 * writer would see a push that is half-way and may still roll back; on its own
 * connection, WAL gives it the last committed snapshot.
 *
 * Durability: a commit is flushed to disk before it is answered, poked or read, as
 * `synchronous = FULL` would, but by a flush off the event loop (see `wal-sync.ts`).
 * Reads do not wait for that flush: the reader serves the snapshot from before a commit
 * until it is flushed, and the store makes its own checkpoints (`flushed-commit.ts`).
 *
 * Pull pages are served by read workers (`read-pool.ts`): worker threads with a read
 * connection each, whose snapshots likewise hold flushed commits only
 * (`commit-marks.ts`), so the rows, their JSON and the page's measure stay off the event
 * loop that pushes run on.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { ErrorCode, SyncError } from '../../../protocol/errors.ts';
import type { InstanceId, PullRequest, PullResponse, SyncCursor } from '../../../protocol/types.ts';
import { servePage, type PullLimits, type PullPageServer, type PullScope } from '../../serve-pull.ts';
import {
  recordKey,
  type ChangePage,
  type ChangeQuery,
  type InstanceRecord,
  type ServerRecord,
  type ServerStore,
  type ServerStoreTransaction,
  type StoreCommit,
} from '../../types.ts';
import { commitListeners } from '../commit-listeners.ts';
import { serialQueue } from '../serial-queue.ts';
import { newStoreSecret } from '../store-secret.ts';
import { INSTANCE_ANSWERS_COLUMN, instanceFromRow, instanceParams, type InstanceRow } from '../sql/instance-row.ts';
import { fieldsColumn, overColumn, RECORD_COLUMNS, recordFromRow, valueColumn, type RecordRow } from '../sql/record-row.ts';
import { sqlSweepSteps } from '../sql/sweep-steps.ts';
import { runTransaction, type TransactionSteps } from '../store-transaction.ts';
import { runSweep, type SweepResult, type TombstoneSweep } from '../tombstone-sweep.ts';
import { commitMarks } from './commit-marks.ts';
import { feedReads, type FeedReads } from './feed-reads.ts';
import { flushedCommits, type FlushedCommits } from './flushed-commit.ts';
import { readPool, type ReadPool, type ReadPoolOptions } from './read-pool.ts';
import { openDatabase, SQL } from './sqlite-database.ts';
import { walSync, type WalSync } from './wal-sync.ts';

/** Options of {@link sqliteServerStore}. */
export interface SqliteStoreOptions {
  /**
   * Worker threads that serve pull pages off the event loop (see `read-pool.ts`), and how
   * many pages may wait for them; `workers: 0` serves them on the event loop. A store in
   * memory (`:memory:`) or not in WAL mode always serves them there.
   */
  readonly readWorkers?: ReadPoolOptions;
}

/**
 * Opens (or creates) the SQLite store at `path`. The server id is made on first open
 * and kept in the file.
 *
 * @example
 * const server = createSyncServer({ store: sqliteServerStore('./pulsesync.db') });
 */
export function sqliteServerStore(path: string, options: SqliteStoreOptions = {}): ServerStore {
  return new SqliteServerStore(path, options);
}

/**
 * The flushes that take FULL's place on `writer` (see `wal-sync.ts`), which then runs
 * NORMAL; undefined, and FULL kept, where there is no WAL file of ours to flush (an
 * in-memory database, a journal mode other than WAL).
 */
function flushesOf(writer: Database.Database, path: string): WalSync | undefined {
  if (writer.memory || writer.pragma('journal_mode', { simple: true }) !== 'wal') return undefined;
  const walPath = `${resolve(path)}-wal`;
  if (!existsSync(walPath)) return undefined;
  writer.pragma('synchronous = NORMAL');
  // The store checkpoints itself (see flushed-commit.ts).
  writer.pragma('wal_autocheckpoint = 0');
  return walSync(walPath, resolve(path));
}

type Latest = { latest: number };

/**
 * Brings a file made by an older version up to this schema: the records table gets
 * its `fields` column (NULL in every old row: they were all written whole) and its
 * `overruled` (NULL: no marks; see `overruled-writes.ts`), the
 * instances table its `answers` (see `instance-answers.ts`). SQLite has no
 * `ADD COLUMN IF NOT EXISTS`, so the columns are read first, in a write transaction in
 * case another process opens the file at the same moment.
 */
function migrate(db: Database.Database): void {
  db.transaction(() => {
    addColumn(db, 'records', 'fields', 'fields text');
    addColumn(db, 'records', 'overruled', 'overruled text');
    addColumn(db, 'instances', 'answers', INSTANCE_ANSWERS_COLUMN);
  }).immediate();
}

/** Adds `column` (its definition) to `table` unless the table has a column `name`. */
function addColumn(db: Database.Database, table: string, name: string, column: string): void {
  const columns = db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`).all();
  if (!columns.some((found) => found.name === name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column}`);
}

class SqliteServerStore implements ServerStore, PullPageServer {
  readonly kind = 'sqlite';
  readonly #writer: Database.Database;
  readonly #reader: Database.Database;
  readonly #serverId: string;
  readonly #secret: string;
  readonly #listeners = commitListeners();
  readonly #queue = serialQueue();
  /** Each commit's flush to disk, when not SQLite's own (see `wal-sync.ts`). */
  readonly #wal: WalSync | undefined;
  #closed = false;
  readonly #sql;
  /** The feed reads on the reader. */
  readonly #reads: FeedReads;
  /** COMMITs with their flushes, the reader's snapshots and checkpoints. */
  readonly #commits: FlushedCommits;
  /** Commits started and flushed, shared with the read workers. */
  readonly #marks = commitMarks();
  /** The read workers that serve pull pages; undefined: pages are served here. */
  readonly #pool: ReadPool | undefined;
  /** The sweep's statements on the writer, prepared on first use. */
  readonly #sweepStatements = new Map<string, Database.Statement>();

  constructor(path: string, options: SqliteStoreOptions) {
    this.#writer = openDatabase(path);
    this.#writer.exec(SQL.schema);
    migrate(this.#writer);
    this.#writer.prepare(SQL.insertServerId).run(globalThis.crypto.randomUUID());
    this.#serverId = (this.#writer.prepare(SQL.selectServerId).get() as { value: string }).value;
    this.#writer.prepare(SQL.insertSecret).run(newStoreSecret());
    this.#secret = (this.#writer.prepare(SQL.selectSecret).get() as { value: string }).value;
    this.#reader = openDatabase(path);
    this.#wal = flushesOf(this.#writer, path);
    // A worker's connection sees the same file only when it is one with a WAL of ours.
    this.#pool = this.#wal === undefined || options.readWorkers?.workers === 0 ? undefined : readPool(resolve(path), this.#marks, options.readWorkers);
    const pool = this.#pool;
    this.#commits = flushedCommits(this.#writer, this.#reader, this.#wal, { marks: this.#marks, letGo: async () => pool?.letGo() });
    const w = this.#writer;
    const r = this.#reader;
    this.#reads = feedReads(r);
    this.#sql = {
      getRecord: w.prepare<[string, string], RecordRow>(`SELECT ${RECORD_COLUMNS} FROM records WHERE collective = ? AND id = ?`),
      getApplied: w.prepare<[string], { seq: number }>(SQL.getAppliedSeq),
      setApplied: w.prepare<[string, number]>(SQL.setAppliedSeq),
      writerLatest: w.prepare<[], Latest>(SQL.latestVersion),
      upsert: w.prepare<[string, string, string, string | null, string, string, number, string | null, string | null]>(SQL.upsertRecords('VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')),
      getInstance: w.prepare<[string], InstanceRow>(SQL.getInstance),
      putInstance: w.prepare<ReturnType<typeof instanceParams>>(SQL.putInstance),
      readInstance: r.prepare<[string], InstanceRow>(SQL.getInstance),
      raiseFloor: w.prepare<[string, number]>(SQL.upsertGcFloors('VALUES (?, ?)')),
    };
  }

  async serverId(): Promise<string> {
    this.#assertOpen();
    return this.#serverId;
  }

  async secret(): Promise<string> {
    this.#assertOpen();
    return this.#secret;
  }

  transaction<T>(fn: (tx: ServerStoreTransaction) => Promise<T>): Promise<T> {
    return this.#queue.run(async () => runTransaction(this.#steps(), this.#listeners, fn));
  }

  /** One transaction's steps, on the writer connection. */
  #steps(): TransactionSteps {
    this.#assertOpen();
    const sql = this.#sql;
    const writer = this.#writer;
    const tx: ServerStoreTransaction = {
      getRecords: async (keys) => {
        const found = new Map<string, ServerRecord>();
        for (const { collective, id } of keys) {
          const row = sql.getRecord.get(collective, id);
          if (row !== undefined) found.set(recordKey(collective, id), recordFromRow(row));
        }
        return found;
      },
      getAppliedSeq: async (source) => sql.getApplied.get(source)?.seq ?? 0,
      setAppliedSeq: async (source, seq) => {
        sql.setApplied.run(source, seq);
      },
      getInstance: async (instanceId) => {
        const row = sql.getInstance.get(instanceId);
        return row === undefined ? undefined : instanceFromRow(row);
      },
      putInstance: async (record) => {
        sql.putInstance.run(...instanceParams(record));
      },
      writeRecords: async (rows) => {
        let version = (sql.writerLatest.get() as Latest).latest;
        const written = rows.map((row): ServerRecord => ({ ...row, version: ++version }));
        for (const r of written) sql.upsert.run(r.collective, r.id, r.op, valueColumn(r), r.hlc, r.source, r.version, fieldsColumn(r), overColumn(r));
        this.#commits.wrote(written.length);
        return written;
      },
    };
    return {
      tx,
      begin: () => {
        this.#wal?.assertHealthy();
        writer.exec('BEGIN IMMEDIATE');
      },
      // Every commit is flushed, not only those that wrote rows: an applied seq or an
      // instance record alone is what a re-sent batch's acknowledgement stands on.
      commit: () => this.#commits.commit(),
      rollback: () => {
        if (writer.inTransaction) writer.exec('ROLLBACK');
      },
    };
  }

  /** `read` on the reader: its snapshot holds flushed commits only (see the file comment). */
  async #read<T>(read: () => T): Promise<T> {
    this.#assertOpen();
    this.#wal?.assertHealthy();
    return read();
  }

  async readChanges(query: ChangeQuery): Promise<ChangePage> {
    this.#assertOpen();
    // One read transaction: page, latest version and count from one snapshot.
    return this.#read(this.#reader.transaction(() => this.#reads.page(query)));
  }

  servePullPage(request: PullRequest, scope: PullScope, limits: PullLimits): Promise<PullResponse> | undefined {
    // A scope listed from the store is clamped to what this thread read (serve-pull.ts).
    if (this.#pool?.available !== true || scope.clampTo !== undefined) return undefined;
    return (async () => {
      this.#assertOpen();
      this.#wal?.assertHealthy();
      const pool = this.#pool as ReadPool;
      try {
        return await pool.serve(request, scope, limits);
      } catch (error) {
        // A worker that found the store broken or closed: this thread's error says what to do.
        this.#assertOpen();
        this.#wal?.assertHealthy();
        // A worker that could not start: served here, as the pages after it.
        if (!pool.available) return servePage(this, request, scope, limits);
        throw error;
      }
    })();
  }

  sweepTombstones(sweep: TombstoneSweep): Promise<SweepResult> {
    return this.#queue.run(async () => {
      this.#assertOpen();
      const writer = this.#writer;
      const statements = this.#sweepStatements;
      const steps = sqlSweepSteps(
        {
          rows: async <T>(text: string, params: readonly unknown[]): Promise<T[]> => {
            let statement = statements.get(text);
            if (statement === undefined) statements.set(text, (statement = writer.prepare(text)));
            if (statement.reader) return statement.all(...params) as T[];
            statement.run(...params);
            return [];
          },
          // IMMEDIATE: the write lock from the start, as a push takes it.
          begin: () => {
            this.#wal?.assertHealthy();
            writer.exec('BEGIN IMMEDIATE');
          },
          commit: () => this.#commits.commit(),
          rollback: () => {
            if (writer.inTransaction) writer.exec('ROLLBACK');
          },
          raiseFloors: async (floors) => {
            for (const [collective, floor] of floors) this.#sql.raiseFloor.run(collective, floor);
          },
        },
        SQL,
      );
      return runSweep(steps, sweep);
    });
  }

  latestVersion(): Promise<SyncCursor> {
    return this.#read(() => this.#reads.latest());
  }

  latestVersionIn(collectives: readonly string[]): Promise<SyncCursor> {
    return this.#read(() => this.#reads.latestIn(collectives));
  }

  listCollectives(): Promise<string[]> {
    return this.#read(() => this.#reads.collectives());
  }

  getInstance(instanceId: InstanceId): Promise<InstanceRecord | undefined> {
    return this.#read(() => {
      const row = this.#sql.readInstance.get(instanceId);
      return row === undefined ? undefined : instanceFromRow(row);
    });
  }

  onCommit(listener: (commit: StoreCommit) => void): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#marks.end('closed');
    await this.#pool?.close();
    await this.#queue.idle(); // let a transaction in flight finish
    this.#reader.close();
    this.#writer.close();
    await this.#wal?.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new SyncError(ErrorCode.SHUTDOWN, 'The SQLite server store is closed');
  }
}

