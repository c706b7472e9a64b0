/**
 * The scale-out {@link ServerStore}: several server processes over one PostgreSQL
 * database through `pg`. Its SQL is in `postgres-schema.ts`, its LISTEN connection in
 * `postgres-listener.ts`.
 *
 * Versions and late commits. A pull reads "rows with version > cursor" and moves the
 * cursor to the highest version it saw; if versions came from a sequence, a push that
 * took version 10 but commits after a push that took 11 would be skipped by a reader
 * that saw 11 first. So every push transaction takes one transaction-scoped advisory
 * lock before it reads anything, assigns versions as `max(version) + 1…` under it, and
 * holds it until COMMIT: versions are assigned and become visible strictly in order,
 * and any snapshot holds a gap-free prefix of them. The cost is that pushes, from all
 * processes, are applied one at a time; the alternative (a commit-order watermark) adds
 * state to every read for little gain at the scale one Postgres serves. So the lock is
 * held as briefly as can be: each process applies the pushes waiting in it as one
 * transaction (`push-groups.ts`) of four round trips whatever its size: BEGIN with the
 * lock and the latest version, every read of the group in one statement
 * (`read-ahead.ts`), its writes in one statement (`pending-writes.ts`), COMMIT. The
 * same lock makes a batch re-sent to two processes at once apply once (the second sees
 * the first's applied seq).
 *
 * A pull is one statement (`PG_SQL.feedPage`): the page, the latest version and the gc
 * floor from the statement's one snapshot, with no transaction to open and close.
 *
 * Pokes across processes: a push that wrote rows sends `NOTIFY pulsesync_changes`
 * (delivered at commit) naming the collectives it touched (see `commit-note.ts`); each
 * store LISTENs on a dedicated connection, opened with its first `onCommit` listener and
 * reopened with backoff when it drops.
 */
import pg from 'pg';
import { ErrorCode, SyncError } from '../../../protocol/errors.ts';
import type { InstanceId, SyncCursor } from '../../../protocol/types.ts';
import { globalTimers, type ServerTimers } from '../../timers.ts';
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
import { changePage, feedFill } from '../change-page.ts';
import { commitListeners } from '../commit-listeners.ts';
import { instanceFromRow, type InstanceRow } from '../sql/instance-row.ts';
import { recordFromRow, type RecordRow } from '../sql/record-row.ts';
import { sqlSweepSteps } from '../sql/sweep-steps.ts';
import { runTransaction, type TransactionSteps } from '../store-transaction.ts';
import { runSweep, type SweepResult, type TombstoneSweep } from '../tombstone-sweep.ts';
import { decodeCommitNote, encodeCommitNote } from './commit-note.ts';
import { MAX_PENDING_BYTES, pendingWrites } from './pending-writes.ts';
import { PostgresListener } from './postgres-listener.ts';
import { postgresSweepRunner } from './postgres-sweep.ts';
import type { ReadAhead, ReadAheadTransaction } from '../read-ahead.ts';
import { createSchema, PG_SQL, POSTGRES_CHANNEL, type StoreIdentity } from './postgres-schema.ts';

/** Options of {@link postgresServerStore}: `pg` pool settings with a connection string. */
export type PostgresServerStoreOptions = pg.PoolConfig & {
  readonly connectionString: string;
  /** Where the LISTEN reconnect waits are scheduled. Default the runtime's timers. */
  readonly timers?: ServerTimers;
};

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

/** A row of `PG_SQL.feedPage`: the page's head, then a record (all null when the page is empty). */
type FeedPageRow = { readonly latest: string; readonly floor: string; readonly total?: string } & (
  | (RecordRow & { readonly size: string | number })
  | { readonly [column in keyof RecordRow | 'size']: null }
);

/** A bigint column as pg returns it (text), as a number. */
function latestOf(result: pg.QueryResult<{ latest: string }>): SyncCursor {
  return Number((result.rows[0] as { latest: string }).latest);
}

/** A {@link ServerStore} over PostgreSQL. */
export class PostgresServerStore implements ServerStore {
  readonly kind = 'postgres';
  readonly #pool: pg.Pool;
  readonly #listeners = commitListeners();
  readonly #listener: PostgresListener;
  /** Tells this store's own notifications apart (it pokes its listeners directly). */
  readonly #token = globalThis.crypto.randomUUID();
  #ready: Promise<StoreIdentity> | undefined;
  #closed = false;

  constructor(options: PostgresServerStoreOptions) {
    const { timers = globalTimers, ...config } = options;
    this.#pool = new pg.Pool(config);
    // An idle pooled connection that dies emits here; the next checkout reconnects.
    this.#pool.on('error', () => undefined);
    this.#listener = new PostgresListener({
      config,
      timers,
      onNotification: (payload) => this.#heard(payload),
      // Commits made while the channel was down were not heard: poke once, collectives unknown.
      onReconnect: () => this.#listeners.emit({}),
      wanted: () => this.#listeners.size > 0,
    });
  }

  /** Tells listeners of a commit another process (or store) made; skips this store's own. */
  #heard(payload: string | undefined): void {
    const note = decodeCommitNote(payload);
    if (note?.from === this.#token) return;
    if (note?.collectives !== undefined) return this.#listeners.emit({ collectives: note.collectives });
    if (note?.range === undefined) return this.#listeners.emit({});
    // Too many collectives for a payload: read them back from the versions it wrote.
    this.#pool.query<{ collective: string }>(PG_SQL.collectivesBetween, [...note.range]).then(
      ({ rows }) => this.#listeners.emit({ collectives: rows.map((row) => row.collective) }),
      () => this.#listeners.emit({}),
    );
  }

  /** Creates the tables, the server id and the secret once. */
  #init(): Promise<StoreIdentity> {
    this.#assertOpen();
    this.#ready ??= this.#withClient(createSchema).catch((error: unknown) => {
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
    return (await this.#init()).serverId;
  }

  async secret(): Promise<string> {
    return (await this.#init()).secret;
  }

  async transaction<T>(fn: (tx: ServerStoreTransaction) => Promise<T>): Promise<T> {
    await this.#init();
    return this.#withClient((client) => runTransaction(this.#steps(client), this.#listeners, fn));
  }

  /**
   * One transaction's steps, on a pooled connection. Writes are held in this process
   * and sent in one statement before COMMIT (see `pending-writes.ts`); reads see them
   * over what the database has.
   */
  #steps(client: pg.PoolClient): TransactionSteps {
    const pending = pendingWrites();
    /** The highest version so far: read as the push lock is taken (no other writer holds it meanwhile), then counted on. */
    let latest: number | undefined;
    // What the commit's notification names: collectives written, and the versions.
    const collectives = new Set<string>();
    let after = Number.POSITIVE_INFINITY;
    let upTo = 0;
    const flush = async (note: string | null): Promise<void> => {
      if (pending.empty && note === null) return;
      await client.query(PG_SQL.flushWrites, [...pending.take(), note === null ? null : POSTGRES_CHANNEL, note]);
    };
    const tx: ReadAheadTransaction = {
      getRecords: async (keys) => {
        const found = new Map<string, ServerRecord>();
        if (keys.length === 0) return found;
        const { rows } = await client.query<RecordRow>(PG_SQL.getRecords, [keys.map((k) => k.collective), keys.map((k) => k.id)]);
        for (const row of rows) found.set(recordKey(row.collective, row.id), recordFromRow(row));
        for (const { collective, id } of keys) {
          const held = pending.row(collective, id);
          if (held !== undefined) found.set(recordKey(collective, id), held);
        }
        return found;
      },
      getAppliedSeq: async (source) => {
        const held = pending.applied.get(source);
        if (held !== undefined) return held;
        const { rows } = await client.query<{ seq: string }>(PG_SQL.getAppliedSeq, [source]);
        return rows[0] === undefined ? 0 : Number(rows[0].seq);
      },
      setAppliedSeq: async (source, seq) => {
        pending.applied.set(source, seq);
      },
      getInstance: async (instanceId) => {
        const held = pending.instances.get(instanceId);
        if (held !== undefined) return held;
        const { rows } = await client.query<InstanceRow>(PG_SQL.getInstance, [instanceId]);
        return rows[0] === undefined ? undefined : instanceFromRow(rows[0]);
      },
      putInstance: async (record) => {
        pending.instances.set(record.instanceId, record);
      },
      readAhead: async (keys) => {
        const { rows } = await client.query<RecordRow & { kind: 'r' | 'a' | 'i' }>(PG_SQL.readAhead, [
          keys.records.map((k) => k.collective),
          keys.records.map((k) => k.id),
          keys.sources,
          keys.instanceIds,
        ]);
        const found: ReadAhead = { records: new Map(), appliedSeqs: new Map(), instances: new Map() };
        for (const row of rows) {
          if (row.kind === 'r') found.records.set(recordKey(row.collective, row.id), recordFromRow(row));
          else if (row.kind === 'a') found.appliedSeqs.set(row.collective, Number(row.version));
          else found.instances.set(row.collective, instanceFromRow({ instance_id: row.collective, owner: row.id, key_id: row.op, seq: row.version, recent: row.value ?? '[]' }));
        }
        // What this transaction holds and has not sent yet is newer than the database.
        for (const { collective, id } of keys.records) {
          const held = pending.row(collective, id);
          if (held !== undefined) found.records.set(recordKey(collective, id), held);
        }
        for (const [source, seq] of pending.applied) found.appliedSeqs.set(source, seq);
        for (const [instanceId, record] of pending.instances) found.instances.set(instanceId, record);
        return found;
      },
      latestVersion: async () => {
        if (latest === undefined) throw new SyncError(ErrorCode.INTERNAL, 'A Postgres push transaction was read before it began');
        return latest;
      },
      writeRecords: async (writes) => {
        if (writes.length === 0) return [];
        if (latest === undefined) throw new SyncError(ErrorCode.INTERNAL, 'A Postgres push transaction wrote before it began');
        let version = latest;
        after = Math.min(after, version);
        const written = writes.map((row): ServerRecord => ({ ...row, version: ++version }));
        latest = upTo = version;
        for (const row of written) collectives.add(row.collective);
        pending.addRows(written);
        if (pending.bytes > MAX_PENDING_BYTES) await flush(null);
        return written;
      },
    };
    return {
      tx,
      begin: async () => {
        // A multi-statement query answers one result per statement: the latest version is the last.
        const results = (await client.query(PG_SQL.beginPushReadingLatest)) as unknown as pg.QueryResult<{ latest: string }>[];
        latest = latestOf(results[results.length - 1] as pg.QueryResult<{ latest: string }>);
      },
      commit: async (wrote) => {
        // The notification is delivered when the transaction commits.
        await flush(wrote ? encodeCommitNote(this.#token, [...collectives], [after, upTo]) : null);
        await client.query('COMMIT');
      },
      rollback: async () => {
        await client.query('ROLLBACK').catch(() => undefined);
      },
    };
  }

  async readChanges(query: ChangeQuery): Promise<ChangePage> {
    await this.#init();
    // One statement: its own snapshot for the page, the latest version, the floor and the count.
    const params = [query.after, query.collectives ?? null, query.excludeSource ?? null, query.limit + 1, query.maxBytes ?? null];
    const { rows } = await this.#pool.query<FeedPageRow>(query.withTotal === true ? PG_SQL.feedPageWithTotal : PG_SQL.feedPage, params);
    const head = rows[0] as FeedPageRow;
    const fill = feedFill(query);
    for (const row of rows) {
      if (row.version === null) break; // the empty page's one row
      if (!fill.add(Number(row.size), () => recordFromRow(row as RecordRow))) break;
    }
    const total = query.withTotal === true ? Number(head.total) : undefined;
    return changePage(query, { fill, latest: Number(head.latest), total, gcFloor: Number(head.floor) });
  }

  async sweepTombstones(sweep: TombstoneSweep): Promise<SweepResult> {
    await this.#init();
    return this.#withClient((client) => runSweep(sqlSweepSteps(postgresSweepRunner(client), PG_SQL), sweep));
  }

  async latestVersion(): Promise<SyncCursor> {
    await this.#init();
    return latestOf(await this.#pool.query<{ latest: string }>(PG_SQL.latestVersion));
  }

  async latestVersionIn(collectives: readonly string[]): Promise<SyncCursor> {
    await this.#init();
    return latestOf(await this.#pool.query<{ latest: string }>(PG_SQL.latestVersionIn, [collectives]));
  }

  async listCollectives(): Promise<string[]> {
    await this.#init();
    const { rows } = await this.#pool.query<{ collective: string }>(PG_SQL.listCollectives);
    return rows.map((row) => row.collective);
  }

  async getInstance(instanceId: InstanceId): Promise<InstanceRecord | undefined> {
    await this.#init();
    const { rows } = await this.#pool.query<InstanceRow>(PG_SQL.getInstance, [instanceId]);
    return rows[0] === undefined ? undefined : instanceFromRow(rows[0]);
  }

  onCommit(listener: (commit: StoreCommit) => void): () => void {
    const unsubscribe = this.#listeners.add(listener);
    this.#listener.start();
    return unsubscribe;
  }

  /**
   * Resolves once this store LISTENs for other processes' commits (after the first
   * `onCommit`). Commits of other processes before that are not heard.
   */
  listening(): Promise<void> {
    if (!this.#closed) this.#listener.start();
    return this.#listener.listening();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await Promise.all([this.#listener.close(), this.#pool.end().catch(() => undefined)]);
  }

  #assertOpen(): void {
    if (this.#closed) throw new SyncError(ErrorCode.SHUTDOWN, 'The Postgres server store is closed');
  }
}
