/**
 * The scale-out {@link ServerStore}: several server processes over one PostgreSQL
 * database through `pg`. Tables are prefixed `pulsesync_` so they can live beside an
 * app's own.
 *
 * Versions and late commits. A pull reads "rows with version > cursor" and moves the
 * cursor to the highest version it saw; if versions came from a sequence, a push that
 * took version 10 but commits after a push that took 11 would be skipped by a reader
 * that saw 11 first. So every push transaction takes one transaction-scoped advisory
 * lock before it reads anything, assigns versions as `max(version) + 1…` under it, and
 * holds it until COMMIT: versions are assigned and become visible strictly in order,
 * and any snapshot holds a gap-free prefix of them. The cost is that pushes, from all
 * processes, are applied one at a time; each is one short transaction, and the
 * alternative (a commit-order watermark) adds state to every read for little gain at
 * the scale one Postgres serves. The same lock makes a batch re-sent to two processes
 * at once apply once (the second sees the first's applied seq).
 *
 * Pokes across processes: a push that wrote rows sends `NOTIFY pulsesync_changes`
 * (delivered at commit); each store LISTENs on a dedicated connection, opened with its
 * first `onCommit` listener and reopened with backoff when it drops.
 */
import pg from 'pg';
import { ErrorCode, SyncError } from '../../protocol/errors.ts';
import type { SyncCursor } from '../../protocol/types.ts';
import {
  recordKey,
  type ChangePage,
  type ChangeQuery,
  type ServerRecord,
  type ServerRecordWrite,
  type ServerStore,
  type ServerStoreTransaction,
} from '../types.ts';
import { commitListeners } from './commit-listeners.ts';
import { guardTransaction } from './transaction-guard.ts';
import { distinctCollectivesSql, RECORD_COLUMNS, recordFromRow, valueColumn, type RecordRow } from './record-row.ts';

/** Options of {@link postgresServerStore}: `pg` pool settings with a connection string. */
export type PostgresServerStoreOptions = pg.PoolConfig & { readonly connectionString: string };

/** The channel pokes travel on. */
export const POSTGRES_CHANNEL = 'pulsesync_changes';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS pulsesync_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS pulsesync_records (
  collective text NOT NULL,
  id text NOT NULL,
  op text NOT NULL,
  value text,
  hlc text NOT NULL,
  source text NOT NULL,
  version bigint NOT NULL UNIQUE,
  PRIMARY KEY (collective, id)
);
CREATE INDEX IF NOT EXISTS pulsesync_records_by_collective ON pulsesync_records (collective, version);
CREATE TABLE IF NOT EXISTS pulsesync_applied (source text PRIMARY KEY, seq bigint NOT NULL);
`;

const FEED_WHERE = `version > $1 AND ($2::text[] IS NULL OR collective = ANY($2::text[])) AND ($3::text IS NULL OR source <> $3::text)`;
const LATEST = 'SELECT COALESCE(MAX(version), 0)::bigint AS latest FROM pulsesync_records';
const RECONNECT_MAX_MS = 5_000;

/**
 * Opens a store over the Postgres database at `options` (a connection string or `pg`
 * pool settings). Tables are created on first use.
 *
 * @example
 * const store = postgresServerStore('postgres://pulsesync@db.internal/pulsesync');
 */
export function postgresServerStore(options: string | PostgresServerStoreOptions): PostgresServerStore {
  return new PostgresServerStore(typeof options === 'string' ? { connectionString: options } : options);
}

/** Keeps only the last write per record, in order: one INSERT cannot touch a row twice. */
function lastPerRecord(rows: readonly ServerRecord[]): ServerRecord[] {
  const byKey = new Map<string, ServerRecord>();
  for (const row of rows) byKey.set(recordKey(row.collective, row.id), row);
  return [...byKey.values()];
}

/** A {@link ServerStore} over PostgreSQL. */
export class PostgresServerStore implements ServerStore {
  readonly kind = 'postgres';
  readonly #config: PostgresServerStoreOptions;
  readonly #pool: pg.Pool;
  readonly #listeners = commitListeners();
  /** Tells this store's own notifications apart (it pokes its listeners directly). */
  readonly #token = globalThis.crypto.randomUUID();
  #ready: Promise<string> | undefined;
  #closed = false;
  #listenClient: pg.Client | undefined;
  #listening: Promise<void> | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #reconnectAttempt = 0;

  constructor(config: PostgresServerStoreOptions) {
    this.#config = config;
    this.#pool = new pg.Pool(config);
    // An idle pooled connection that dies emits here; the next checkout reconnects.
    this.#pool.on('error', () => undefined);
  }

  /** Creates the tables and the server id once (under a lock: processes may start together). */
  #init(): Promise<string> {
    this.#assertOpen();
    this.#ready ??= this.#withClient(async (client) => {
      await client.query('BEGIN');
      try {
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('pulsesync:schema'))`);
        await client.query(SCHEMA);
        await client.query(`INSERT INTO pulsesync_meta (key, value) VALUES ('serverId', $1) ON CONFLICT (key) DO NOTHING`, [globalThis.crypto.randomUUID()]);
        const result = await client.query<{ value: string }>(`SELECT value FROM pulsesync_meta WHERE key = 'serverId'`);
        await client.query('COMMIT');
        return (result.rows[0] as { value: string }).value;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }).catch((error: unknown) => {
      this.#ready = undefined; // try again on the next call
      throw error;
    });
    return this.#ready;
  }

  async #withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.#assertOpen();
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (error) {
      // After a failure, hand the connection back only if it still answers (a lost
      // connection would fail the next caller).
      broken = await client.query('SELECT 1').then(
        () => undefined,
        (failure: unknown) => (failure instanceof Error ? failure : new Error(String(failure))),
      );
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async serverId(): Promise<string> {
    return this.#init();
  }

  async transaction<T>(fn: (tx: ServerStoreTransaction) => Promise<T>): Promise<T> {
    await this.#init();
    let wrote = false;
    const result = await this.#withClient(async (client) => {
      const guarded = guardTransaction({
        getRecords: async (keys) => {
          const found = new Map<string, ServerRecord>();
          if (keys.length === 0) return found;
          const { rows } = await client.query<RecordRow>(
            `SELECT ${RECORD_COLUMNS} FROM pulsesync_records WHERE (collective, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
            [keys.map((k) => k.collective), keys.map((k) => k.id)],
          );
          for (const row of rows) found.set(recordKey(row.collective, row.id), recordFromRow(row));
          return found;
        },
        getAppliedSeq: async (source) => {
          const { rows } = await client.query<{ seq: string }>('SELECT seq FROM pulsesync_applied WHERE source = $1', [source]);
          return rows[0] === undefined ? 0 : Number(rows[0].seq);
        },
        setAppliedSeq: async (source, seq) => {
          await client.query(
            'INSERT INTO pulsesync_applied (source, seq) VALUES ($1, $2) ON CONFLICT (source) DO UPDATE SET seq = excluded.seq',
            [source, seq],
          );
        },
        writeRecords: async (writes: readonly ServerRecordWrite[]) => {
          if (writes.length === 0) return [];
          const { rows } = await client.query<{ latest: string }>(LATEST);
          let version = Number((rows[0] as { latest: string }).latest);
          const written = writes.map((row): ServerRecord => ({ ...row, version: ++version }));
          const final = lastPerRecord(written);
          await client.query(
            `INSERT INTO pulsesync_records (collective, id, op, value, hlc, source, version)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
             ON CONFLICT (collective, id) DO UPDATE
               SET op = excluded.op, value = excluded.value, hlc = excluded.hlc, source = excluded.source, version = excluded.version`,
            [
              final.map((r) => r.collective),
              final.map((r) => r.id),
              final.map((r) => r.op),
              final.map(valueColumn),
              final.map((r) => r.hlc),
              final.map((r) => r.source),
              final.map((r) => r.version),
            ],
          );
          wrote = true;
          return written;
        },
      });
      // READ COMMITTED whatever the database's default: each statement must see what
      // pushes before the lock committed (REPEATABLE READ would snapshot before the lock).
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      try {
        // See the file comment: versions are assigned and committed in order.
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('pulsesync:push'))`);
        const value = await fn(guarded.tx);
        guarded.end();
        if (wrote) await client.query('SELECT pg_notify($1, $2)', [POSTGRES_CHANNEL, this.#token]);
        await client.query('COMMIT');
        return value;
      } catch (error) {
        guarded.end();
        wrote = false;
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
    if (wrote) this.#listeners.emit();
    return result;
  }

  async readChanges(query: ChangeQuery): Promise<ChangePage> {
    await this.#init();
    return this.#withClient(async (client) => {
      // One snapshot for the page, the count and the latest version.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const params = [query.after, query.collectives ?? null, query.excludeSource ?? null];
        const { rows: raw } = await client.query<RecordRow>(
          `SELECT ${RECORD_COLUMNS} FROM pulsesync_records WHERE ${FEED_WHERE} ORDER BY version LIMIT $4`,
          [...params, query.limit + 1],
        );
        const rows = raw.map(recordFromRow);
        const hasMore = rows.length > query.limit;
        if (hasMore) rows.length = query.limit;
        const last = rows[rows.length - 1];
        let newCursor: number;
        if (hasMore && last !== undefined) newCursor = last.version;
        else {
          const { rows: latest } = await client.query<{ latest: string }>(LATEST);
          newCursor = Math.max(query.after, Number((latest[0] as { latest: string }).latest));
        }
        let page: ChangePage = { rows, hasMore, newCursor };
        if (query.withTotal === true) {
          const { rows: count } = await client.query<{ total: string }>(`SELECT COUNT(*) AS total FROM pulsesync_records WHERE ${FEED_WHERE}`, params);
          page = { ...page, total: Number((count[0] as { total: string }).total) };
        }
        await client.query('COMMIT');
        return page;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  async latestVersion(): Promise<SyncCursor> {
    await this.#init();
    const { rows } = await this.#pool.query<{ latest: string }>(LATEST);
    return Number((rows[0] as { latest: string }).latest);
  }

  async listCollectives(): Promise<string[]> {
    await this.#init();
    const { rows } = await this.#pool.query<{ collective: string }>(distinctCollectivesSql('pulsesync_records'));
    return rows.map((row) => row.collective);
  }

  onCommit(listener: () => void): () => void {
    const unsubscribe = this.#listeners.add(listener);
    this.#listen();
    return unsubscribe;
  }

  /**
   * Resolves once this store LISTENs for other processes' commits (after the first
   * `onCommit`). Commits of other processes before that are not heard.
   */
  listening(): Promise<void> {
    this.#listen();
    return this.#listening ?? Promise.resolve();
  }

  #listen(): void {
    if (this.#closed || this.#listenClient !== undefined || this.#reconnectTimer !== undefined) return;
    const client = new pg.Client(this.#config);
    const reconnecting = this.#reconnectAttempt > 0;
    this.#listenClient = client;
    client.on('notification', (message) => {
      if (message.channel === POSTGRES_CHANNEL && message.payload !== this.#token) this.#listeners.emit();
    });
    client.on('error', () => this.#dropListener(client));
    client.on('end', () => this.#dropListener(client));
    this.#listening = client
      .connect()
      .then(() => client.query(`LISTEN ${POSTGRES_CHANNEL}`))
      .then(
        () => {
          this.#reconnectAttempt = 0;
          // Commits made while the channel was down were not heard: poke once.
          if (reconnecting) this.#listeners.emit();
        },
        () => this.#dropListener(client),
      );
  }

  #dropListener(client: pg.Client): void {
    if (this.#listenClient !== client) return;
    this.#listenClient = undefined;
    client.end().catch(() => undefined);
    if (this.#closed || this.#listeners.size === 0) return;
    const delay = Math.min(RECONNECT_MAX_MS, 100 * 2 ** this.#reconnectAttempt);
    this.#reconnectAttempt++;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#listen();
    }, delay);
    this.#reconnectTimer.unref?.();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const listenClient = this.#listenClient;
    this.#listenClient = undefined;
    await Promise.all([listenClient?.end().catch(() => undefined), this.#pool.end().catch(() => undefined)]);
  }

  #assertOpen(): void {
    if (this.#closed) throw new SyncError(ErrorCode.SHUTDOWN, 'The Postgres server store is closed');
  }
}
