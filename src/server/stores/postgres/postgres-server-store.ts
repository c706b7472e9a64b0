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
import type { ChangePage, ChangeQuery, InstanceRecord, ServerStore, ServerStoreTransaction, StoreCommit } from '../../types.ts';
import { changePage, feedFill } from '../change-page.ts';
import { commitListeners } from '../commit-listeners.ts';
import { instanceFromRow, type InstanceRow } from '../sql/instance-row.ts';
import { recordFromRow, type RecordRow } from '../sql/record-row.ts';
import { sqlSweepSteps } from '../sql/sweep-steps.ts';
import { runTransaction } from '../store-transaction.ts';
import { runSweep, type SweepResult, type TombstoneSweep } from '../tombstone-sweep.ts';
import { decodeCommitNote } from './commit-note.ts';
import { PostgresListener } from './postgres-listener.ts';
import { postgresSweepRunner } from './postgres-sweep.ts';
import { createSchema, PG_SQL, type StoreIdentity } from './postgres-schema.ts';
import { latestOf, pushTransactionSteps } from './push-transaction.ts';

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
    return this.#withClient((client) => runTransaction(pushTransactionSteps(client, this.#token), this.#listeners, fn));
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
