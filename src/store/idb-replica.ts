/**
 * The IndexedDB replica: records, change log, cursors and meta in one database (layout
 * in `schema.ts`). Every method is one transaction; the write paths are counted in puts
 * because in Chromium each put costs ~50 µs of CPU while a transaction is cheap:
 * `putMany` of N is N record puts + 1 log put + 1 meta put, and a pulled batch of N is
 * N puts with no per-record reads.
 *
 * This file opens the replica and checks each call's arguments; the rooms behind it:
 * the connection (`idb-connection.ts`), reads (`idb-reads.ts`), local writes and their
 * acknowledgement (`idb-local-log.ts`), and server states (`idb-remote-apply.ts`).
 */
import { IN_PREBUILT_WORKER, notInPrebuiltWorker, WITH_COLLECTIONS } from '../engine/prebuilt-worker.ts';
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { assertCollective, assertRecordId } from '../protocol/validate.ts';
import type { ConflictPolicy, InstanceId, InstanceKey, JsonValue, PulledChange, PushedChange, SyncChange, SyncCursor } from '../protocol/types.ts';
import { EventEmitter } from '../events/event-emitter.ts';
import { IdbConnection, loadInstanceId, type KeyRangeFactory, type ReplicaSettings } from './idb-connection.ts';
import { readIdentity, renewIdentity, writeInstanceKey } from './idb-identity.ts';
import { acknowledgeLog, writeLocal, type WriteStateGuess } from './idb-local-log.ts';
import { readCollective, readCursor, readPendingChanges, readPendingCount, readRecord } from './idb-reads.ts';
import { applyFeedBatch, applyServerStates, resetPull } from './idb-remote-apply.ts';
import { openDatabase, type OpenDatabaseOptions } from './open-database.ts';
import { readNoteIn, updateNoteIn } from './replica-notes.ts';
import { FIELDS_BUILT, fieldsIn, fieldsMissing, type ReplicaFields } from './field-seam.ts';
import { cursorKey, Stores, type LoggedChange } from './schema.ts';
import type {
  ApplyResult,
  ChangeEvent,
  CursorAdvance,
  LocalStore,
  LocalWrite,
  LocalWriteOptions,
  RecordEntry,
  RecordInput,
  ReplicaIdentity,
  SnapshotCause,
} from './types.ts';
import { checkCount, checkName, checkRemoteApply, recordsToWrites, toLoggedChanges } from './write-validation.ts';
import { clockBound, eventChange } from './write-plans.ts';

export type { KeyRangeFactory } from './idb-connection.ts';

/** Options of {@link openReplica}. */
export interface ReplicaOptions {
  /** The IndexedDB database name; one replica per name. */
  readonly name: string;
  /** The IndexedDB factory. Default `globalThis.indexedDB`. */
  readonly indexedDB?: IDBFactory;
  /** The key-range constructor of the same implementation. Default `globalThis.IDBKeyRange`. */
  readonly IDBKeyRange?: KeyRangeFactory;
  /**
   * Durability of transactions holding the app's data: local writes and server states
   * learnt from push conflicts. Default: the browser's default. Feed batches and
   * acknowledgements use `'relaxed'` (see why at `applyFeedBatch` and `acknowledgeLog`).
   */
  readonly durability?: IDBTransactionDurability;
  /** How long opening may stay blocked by another tab before failing `DATABASE_BLOCKED`. Default 5000 ms. */
  readonly blockedTimeoutMs?: number;
  /** Wall clock for the hybrid logical clock. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Opens the database. Default: at its current version, making pulsesync's stores in a
   * new one. Collections give one that also makes their declared indexes in a
   * versioned upgrade (`openWithIndexes`). A reopen after the browser closed the
   * connection opens at the current version, indexes included.
   */
  readonly open?: (options: OpenDatabaseOptions) => Promise<IDBDatabase>;
  /**
   * Field-level records (`field-last-write-wins`, `patch`) and record history
   * (`explain`): `replicaFields` from `pulsesync/engine` (pulsesync's full worker gives
   * it). Opt-in code; without it the replica keeps whole records, has no `patch` and no
   * `explain`, and refuses `field-last-write-wins` (`INVALID_CONFIG`).
   */
  readonly fields?: ReplicaFields | undefined;
}

/** Default of {@link ReplicaOptions.blockedTimeoutMs}. */
export const DEFAULT_BLOCKED_TIMEOUT_MS = 5000;

/**
 * Opens (or creates) the replica `name`. On first open it makes the replica's
 * `instanceId` (UUID v7) and keeps it. Fails `DATABASE_BLOCKED` if another tab keeps an
 * older version open past `blockedTimeoutMs`.
 */
export async function openReplica(options: ReplicaOptions): Promise<LocalStore> {
  if (typeof options?.name !== 'string' || options.name.length === 0) {
    throw new SyncError(ErrorCode.INVALID_CONFIG, 'openReplica: name must be a non-empty string');
  }
  // The worker opens its replica with nothing but the name (and collections' open):
  // in a prebuilt worker, the code of the other options is left out.
  const given = <K extends keyof ReplicaOptions>(key: K): ReplicaOptions[K] | undefined => notInPrebuiltWorker(options, key);
  const timeoutGiven = given('blockedTimeoutMs');
  // (null counts as left out, as `??` reads it)
  if (timeoutGiven != null && !(Number.isFinite(timeoutGiven) && timeoutGiven >= 0)) {
    throw new SyncError(ErrorCode.INVALID_CONFIG, `openReplica: blockedTimeoutMs must be a number >= 0, got ${timeoutGiven}`);
  }
  const blockedTimeoutMs = timeoutGiven ?? DEFAULT_BLOCKED_TIMEOUT_MS;
  const factory = given('indexedDB') ?? globalThis.indexedDB;
  const keyRange = given('IDBKeyRange') ?? globalThis.IDBKeyRange;
  if (factory === undefined || keyRange === undefined) {
    throw new SyncError(
      ErrorCode.STORAGE,
      'openReplica: no IndexedDB here; pass `indexedDB` and `IDBKeyRange` (fake-indexeddb in Node)',
    );
  }
  const durability = given('durability');
  const settings: ReplicaSettings = {
    name: options.name,
    factory,
    keyRange,
    blockedTimeoutMs,
    now: given('now') ?? Date.now,
    ...(durability === undefined ? {} : { durability }),
    // Only where this build can have them (see FIELDS_BUILT).
    ...(FIELDS_BUILT && { fields: options.fields }),
  };
  const db = await ((WITH_COLLECTIONS ? options.open : undefined) ?? openDatabase)({ factory, name: settings.name, blockedTimeoutMs, mustExist: false });
  let instanceId: InstanceId;
  try {
    instanceId = await loadInstanceId(db, settings.name, undefined);
  } catch (error) {
    db.close();
    throw error;
  }
  return new (fieldsIn(settings)?.IdbReplica ?? IdbReplica)(settings, db, instanceId);
}

// The class's static block defines put, putMany and delete.
export interface IdbReplica extends Pick<LocalStore, 'put' | 'putMany' | 'delete'> {}

/** The IndexedDB replica (`openReplica` gives it as a {@link LocalStore}). */
export class IdbReplica implements LocalStore {
  static {
    // put, putMany and delete: nothing calls them in the worker, which writes through
    // write() (its seqs make the receipts), so a prebuilt worker leaves them out.
    if (!IN_PREBUILT_WORKER) {
      /** A local write answering nothing; `writes` is made inside the guard, so a bad argument fails as the call's SyncError. */
      const quietly = async (replica: IdbReplica, what: string, writes: () => readonly LocalWrite[], field = what): Promise<void> => {
        await replica.#conn.guard(what, () => replica.writeLogged(what, toLoggedChanges(writes(), field)));
      };
      Object.assign(IdbReplica.prototype, {
        put(this: IdbReplica, collective: string, id: string, value: JsonValue): Promise<void> {
          return quietly(this, 'put', () => [{ op: 'put', collective, id, value }]);
        },
        putMany(this: IdbReplica, records: readonly RecordInput[]): Promise<void> {
          return quietly(this, 'putMany', () => recordsToWrites(records), 'records');
        },
        delete(this: IdbReplica, collective: string, id: string): Promise<void> {
          return quietly(this, 'delete', () => [{ op: 'delete', collective, id }]);
        },
      });
    }
  }

  readonly name: string;
  readonly #conn: IdbConnection;
  /** The app's change listeners (one that throws is logged: a committed write does not fail for it). */
  readonly #listeners = new EventEmitter<{ change: ChangeEvent }>();
  /** What this connection's last local write left (`writeLocal` plans the next from it, and checks). */
  readonly #guess: WriteStateGuess = { state: undefined };

  constructor(settings: ReplicaSettings, db: IDBDatabase, instanceId: InstanceId) {
    this.name = settings.name;
    this.#conn = new IdbConnection(settings, db, instanceId);
  }

  /** Its connection: collections' queries read the records' indexes through it (`read-transaction.ts`). */
  get connection(): IdbConnection {
    return this.#conn;
  }

  get instanceId(): InstanceId {
    return this.#conn.instanceId;
  }

  // ---- data ----

  write(writes: readonly LocalWrite[], options: LocalWriteOptions = {}): Promise<readonly SyncChange[]> {
    return this.#conn.guard('write', () => {
      // Only a resolver's answer is written with a base, which no prebuilt worker asks (see prebuilt-worker.ts).
      const baseVersion = notInPrebuiltWorker(options, 'baseVersion');
      if (baseVersion !== undefined) checkCount(baseVersion, 'baseVersion');
      // Puts and deletes log whole-record changes.
      return this.writeLogged('write', toLoggedChanges(writes, options.field), baseVersion) as Promise<SyncChange[]>;
    });
  }

  get(collective: string, id: string): Promise<RecordEntry | undefined> {
    return this.#conn.guard('get', () => {
      assertCollective(collective);
      assertRecordId(id);
      return readRecord(this.#conn, collective, id);
    });
  }

  list(collective: string): Promise<RecordEntry[]> {
    return this.#conn.guard('list', () => {
      assertCollective(collective);
      return readCollective(this.#conn, collective);
    });
  }

  // ---- sync ----

  pendingChanges(limit: number): Promise<PushedChange[]> {
    return this.#conn.guard('pendingChanges', async () => {
      checkCount(limit, 'limit');
      return limit === 0 ? [] : readPendingChanges(this.#conn, this.instanceId, limit);
    });
  }

  pendingCount(): Promise<number> {
    return this.#conn.guard('pendingCount', () => readPendingCount(this.#conn));
  }

  acknowledge(peer: string, ackedSeq: number, instanceId?: InstanceId): Promise<void> {
    return this.#conn.guard('acknowledge', () => {
      checkName(peer);
      checkCount(ackedSeq, 'ackedSeq');
      return acknowledgeLog(this.#conn, peer, ackedSeq, instanceId);
    });
  }

  pushCursor(peer: string): Promise<number> {
    return this.#cursor('pushCursor', cursorKey.push(peer), peer);
  }

  pullCursor(peer: string): Promise<SyncCursor> {
    return this.#cursor('pullCursor', cursorKey.pull(peer), peer);
  }

  async snapshotMark(peer: string): Promise<SyncCursor | undefined> {
    // 0: no mark kept.
    return (await this.#cursor('snapshotMark', cursorKey.mark(peer), peer)) || undefined;
  }

  applyRemote(
    changes: readonly PulledChange[],
    options: { readonly policy: ConflictPolicy; readonly cursor?: CursorAdvance; readonly maxClockDriftMs?: number },
  ): Promise<ApplyResult> {
    return this.#conn.guard('applyRemote', async () => {
      checkRemoteApply(changes, options);
      // Field-level records are opt-in code (`ReplicaOptions.fields`).
      if (FIELDS_BUILT && options.policy === 'field-last-write-wins' && !fieldsIn(this.#conn.settings)) fieldsMissing(options.policy);
      const clock = clockBound(options.maxClockDriftMs, this.#conn.settings.now());
      const result: Awaited<ReturnType<typeof applyFeedBatch>> =
        options.cursor === undefined
          ? await applyServerStates(this.#conn, changes, options.policy, clock)
          : await applyFeedBatch(this.#conn, changes, options.policy, options.cursor, clock);
      // Rows of its own (in a snapshot's pages) are no news to the app (see pull-snapshot.ts);
      // a row a snapshot dropped is a delete.
      const events = [...result.written.filter((c) => c.source !== this.instanceId).map(eventChange), ...(result.dropped ?? [])];
      if (events.length > 0) this.#listeners.emit('change', { source: 'remote', changes: events });
      return { applied: result.written.length, conflicts: result.conflicts, reset: result.reset };
    });
  }

  // ---- notes ----

  readNote(key: string): Promise<unknown> {
    return this.#conn.guard('readNote', () => {
      checkName(key, 'note key');
      return this.#conn.run('readNote', [Stores.meta], 'readonly', (tx) => readNoteIn(tx, key));
    });
  }

  updateNote(key: string, update: (current: unknown) => unknown): Promise<void> {
    return this.#conn.guard('updateNote', () => {
      checkName(key, 'note key');
      return this.#conn.run('updateNote', [Stores.meta], 'readwrite', (tx) => updateNoteIn(tx, key, update));
    });
  }

  // ---- identity ----

  identity(): Promise<ReplicaIdentity> {
    return this.#conn.guard('identity', async () => {
      const identity = await readIdentity(this.#conn);
      this.#conn.instanceId = identity.instanceId; // another tab may have renewed it
      return identity;
    });
  }

  saveInstanceKey(instanceId: InstanceId, key: InstanceKey, sent: InstanceKey | undefined): Promise<InstanceKey | undefined> {
    return this.#conn.guard('saveInstanceKey', () => writeInstanceKey(this.#conn, instanceId, key, sent));
  }

  startNewIdentity(retired: InstanceId): Promise<InstanceId> {
    return this.#conn.guard('startNewIdentity', async () => (this.#conn.instanceId = await renewIdentity(this.#conn, retired)));
  }

  resetPull(peer: string, cause: SnapshotCause): Promise<void> {
    return this.#conn.guard('resetPull', () => {
      checkName(peer);
      return resetPull(this.#conn, peer, cause);
    });
  }

  // ---- lifecycle ----

  subscribe(listener: (event: ChangeEvent) => void): () => void {
    return this.#listeners.on('change', listener);
  }

  close(): void {
    this.#conn.close();
  }

  /** The cursor under `key`, of `peer` (checked first), read as `what`. */
  #cursor(what: string, key: string, peer: string): Promise<number> {
    return this.#conn.guard(what, () => {
      checkName(peer);
      return readCursor(this.#conn, what, key);
    });
  }

  /**
   * A local write of changes in change-log form, then its event once committed (the
   * records' new states: a patch's is the merged record). Public for the subclass with
   * field-level records (`idb-field-replica.ts`).
   */
  async writeLogged(what: string, changes: readonly LoggedChange[], baseVersion?: number): Promise<PushedChange[]> {
    if (changes.length === 0) return [];
    const plan = await writeLocal(this.#conn, this.#guess, what, this.instanceId, changes, baseVersion);
    this.#listeners.emit('change', { source: 'local', changes: plan.records.map(eventChange) });
    return plan.logged;
  }
}
