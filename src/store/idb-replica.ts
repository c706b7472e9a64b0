/**
 * The IndexedDB replica: records, change log, cursors and meta in one database (layout
 * in `schema.ts`). Every method is one transaction; the write paths are counted in puts
 * because in Chromium each put costs ~50 µs of CPU while a transaction is cheap:
 * `putMany` of N is N record puts + 1 log put + 1 meta put, and a pulled batch of N is
 * N puts with no per-record reads.
 */
import { uuidV7 } from './uuid-v7.ts';
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { assertCollective, assertRecordId } from '../protocol/validate.ts';
import type { ConflictPolicy, InstanceId, JsonValue, PulledChange, SyncChange, SyncCursor } from '../protocol/types.ts';
import { appendSyncChanges, lastSeqOf, trimEntry } from './change-log.ts';
import { ChangeListeners } from './change-listeners.ts';
import { closedError, toSyncError } from './idb-errors.ts';
import { requestResult, runTransaction } from './idb-transaction.ts';
import { openReplicaDatabase } from './index-upgrade.ts';
import { openDatabase } from './open-database.ts';
import { readOnly } from './read-transaction.ts';
import type { IndexDefinition } from './record-indexes.ts';
import {
  cursorKey,
  INITIAL_WRITE_STATE,
  MetaKey,
  Stores,
  type LogEntry,
  type LoggedChange,
  type StoredRecord,
  type WriteState,
} from './schema.ts';
import type {
  ApplyResult,
  ChangeEvent,
  CursorAdvance,
  LocalStore,
  LocalWrite,
  LocalWriteOptions,
  RecordEntry,
  RecordInput,
} from './types.ts';
import { checkCount, checkPeer, checkRemoteApply, recordsToWrites, toLoggedChanges } from './write-validation.ts';
import { clockBound, eventChange, planFeedBatch, planLocalWrite, planServerStates, remoteRecord, toRecordEntry, type ClockBound, type RemotePlan } from './write-plans.ts';

/** The parts of `IDBKeyRange` the replica uses (injectable, like the factory). */
export type KeyRangeFactory = Pick<typeof IDBKeyRange, 'bound' | 'lowerBound' | 'upperBound'>;

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
   * acknowledgements use `'relaxed'` (see why at `#applyFeedBatch` and `acknowledge`).
   */
  readonly durability?: IDBTransactionDurability;
  /** How long opening may stay blocked by another tab before failing `DATABASE_BLOCKED`. Default 5000 ms. */
  readonly blockedTimeoutMs?: number;
  /** Wall clock for the hybrid logical clock. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * The indexes `records` must have (see `src/query/indexes.ts`); a different set is
   * made in a versioned upgrade, closing other tabs' older connections. Default: leave
   * the indexes as they are.
   */
  readonly indexes?: readonly IndexDefinition[];
  /** Called when another tab upgrades or deletes the database and this replica closes for good. */
  readonly onVersionChange?: (error: SyncError) => void;
}

/** Reads records inside one read-only transaction of the replica (the query layer's way in). */
export type RecordsReader = <T>(
  what: string,
  body: (records: IDBObjectStore, keys: { readonly range: KeyRangeFactory; readonly cmp: (a: unknown, b: unknown) => number }) => Promise<T>,
) => Promise<T>;

/** The IndexedDB replica: a {@link LocalStore} whose records can be queried by index. */
export interface IndexedReplica extends LocalStore {
  readonly readRecords: RecordsReader;
}

/** Default of {@link ReplicaOptions.blockedTimeoutMs}. */
export const DEFAULT_BLOCKED_TIMEOUT_MS = 5000;

/**
 * Opens (or creates) the replica `name`. On first open it makes the replica's
 * `instanceId` (UUID v7) and keeps it. Fails `DATABASE_BLOCKED` if another tab keeps an
 * older version open past `blockedTimeoutMs`.
 */
export async function openReplica(options: ReplicaOptions): Promise<IndexedReplica> {
  if (typeof options?.name !== 'string' || options.name.length === 0) {
    throw new SyncError(ErrorCode.INVALID_CONFIG, 'openReplica: name must be a non-empty string');
  }
  const blockedTimeoutMs = options.blockedTimeoutMs ?? DEFAULT_BLOCKED_TIMEOUT_MS;
  if (!Number.isFinite(blockedTimeoutMs) || blockedTimeoutMs < 0) {
    throw new SyncError(ErrorCode.INVALID_CONFIG, `openReplica: blockedTimeoutMs must be a non-negative number, got ${blockedTimeoutMs}`);
  }
  const factory = options.indexedDB ?? globalThis.indexedDB;
  const keyRange = options.IDBKeyRange ?? globalThis.IDBKeyRange;
  if (factory === undefined || keyRange === undefined) {
    throw new SyncError(
      ErrorCode.STORAGE,
      'openReplica: IndexedDB is not available here; pass `indexedDB` and `IDBKeyRange` (e.g. from fake-indexeddb in Node)',
    );
  }
  const settings: ReplicaSettings = {
    name: options.name,
    factory,
    keyRange,
    blockedTimeoutMs,
    now: options.now ?? Date.now,
    ...(options.durability === undefined ? {} : { durability: options.durability }),
    ...(options.onVersionChange === undefined ? {} : { onVersionChange: options.onVersionChange }),
  };
  const indexes = options.indexes === undefined ? {} : { indexes: new Map(options.indexes.map((index) => [index.name, index])) };
  const db = await openReplicaDatabase({ factory, name: settings.name, blockedTimeoutMs, mustExist: false, ...indexes });
  let instanceId: InstanceId;
  try {
    instanceId = await loadInstanceId(db, settings.name, undefined);
  } catch (error) {
    db.close();
    throw error;
  }
  return new IdbReplica(settings, db, instanceId);
}

interface ReplicaSettings {
  readonly name: string;
  readonly factory: IDBFactory;
  readonly keyRange: KeyRangeFactory;
  readonly blockedTimeoutMs: number;
  readonly now: () => number;
  readonly durability?: IDBTransactionDurability;
  readonly onVersionChange?: (error: SyncError) => void;
}

/**
 * Reads the replica's identity, making it on first open. With `expected` (a reopen) a
 * missing or different identity means the database was deleted, perhaps recreated by
 * another tab: this replica must not carry on in it.
 */
function loadInstanceId(db: IDBDatabase, name: string, expected: InstanceId | undefined): Promise<InstanceId> {
  return runTransaction(db, [Stores.meta], 'readwrite', { what: 'opening the replica' }, async (tx) => {
    const meta = tx.objectStore(Stores.meta);
    const stored = (await requestResult(meta.get(MetaKey.instanceId))) as InstanceId | undefined;
    if (expected !== undefined && stored !== expected) {
      throw closedError(name, 'it was deleted (by another tab, the user or the browser) while this replica was using it');
    }
    if (stored !== undefined) return stored;
    const instanceId = uuidV7();
    meta.put(instanceId, MetaKey.instanceId);
    return instanceId;
  });
}

class IdbReplica implements IndexedReplica {
  readonly instanceId: InstanceId;
  readonly name: string;
  readonly #settings: ReplicaSettings;
  readonly #listeners = new ChangeListeners();
  /** The open connection; undefined after the browser closed it (reopened on the next call). */
  #db: IDBDatabase | undefined;
  #reopening: Promise<IDBDatabase> | undefined;
  /** Why the replica is closed for good; set by `close()`, `versionchange` or a failed reopen. */
  #closedBecause: string | undefined;

  constructor(settings: ReplicaSettings, db: IDBDatabase, instanceId: InstanceId) {
    this.#settings = settings;
    this.name = settings.name;
    this.instanceId = instanceId;
    this.#attach(db);
  }

  // ---- data ----

  put(collective: string, id: string, value: JsonValue): Promise<void> {
    return this.#guard('put', async () => {
      await this.#writeLocal('put', toLoggedChanges([{ op: 'put', collective, id, value }], 'put'));
    });
  }

  putMany(records: readonly RecordInput[]): Promise<void> {
    return this.#guard('putMany', async () => {
      await this.#writeLocal('putMany', toLoggedChanges(recordsToWrites(records), 'records'));
    });
  }

  delete(collective: string, id: string): Promise<void> {
    return this.#guard('delete', async () => {
      await this.#writeLocal('delete', toLoggedChanges([{ op: 'delete', collective, id }], 'delete'));
    });
  }

  write(writes: readonly LocalWrite[], options: LocalWriteOptions = {}): Promise<readonly SyncChange[]> {
    return this.#guard('write', () => {
      const { baseVersion } = options;
      if (baseVersion !== undefined) checkCount(baseVersion, 'baseVersion');
      return this.#writeLocal('write', toLoggedChanges(writes), baseVersion);
    });
  }

  get(collective: string, id: string): Promise<RecordEntry | undefined> {
    return this.#guard('get', async () => {
      assertKey(collective, id);
      const stored = await this.#run('get', [Stores.records], 'readonly', (tx) =>
        requestResult(tx.objectStore(Stores.records).get([collective, id])),
      );
      return toRecordEntry(stored as StoredRecord | undefined);
    });
  }

  list(collective: string): Promise<RecordEntry[]> {
    return this.#guard('list', async () => {
      assertKey(collective, undefined);
      // Arrays sort after strings in IndexedDB keys, so [c, []] is above every [c, id].
      const range = this.#settings.keyRange.bound([collective], [collective, []]);
      const stored = await this.#run('list', [Stores.records], 'readonly', (tx) =>
        requestResult(tx.objectStore(Stores.records).getAll(range)),
      );
      const entries: RecordEntry[] = [];
      for (const record of stored as StoredRecord[]) {
        const entry = toRecordEntry(record);
        if (entry !== undefined) entries.push(entry);
      }
      return entries;
    });
  }

  readonly readRecords: RecordsReader = (what, body) =>
    this.#guard(what, async () => {
      const { keyRange: range, factory } = this.#settings;
      const keys = { range, cmp: (a: unknown, b: unknown) => factory.cmp(a, b) };
      return readOnly(await this.#connection(), Stores.records, what, (records) => body(records, keys));
    });

  // ---- sync ----

  pendingChanges(limit: number): Promise<SyncChange[]> {
    return this.#guard('pendingChanges', async () => {
      checkCount(limit, 'limit');
      if (limit === 0) return [];
      return this.#run('pendingChanges', [Stores.log], 'readonly', (tx) => {
        // A cursor rather than getAll: one entry may hold thousands of changes, so only
        // read entries until `limit` changes are in hand.
        const out: SyncChange[] = [];
        const request = tx.objectStore(Stores.log).openCursor();
        return new Promise<SyncChange[]>((resolve, reject) => {
          request.onsuccess = () => {
            const cursor = request.result;
            if (cursor === null) return resolve(out);
            appendSyncChanges(out, cursor.value as LogEntry, this.instanceId, limit);
            if (out.length >= limit) resolve(out);
            else cursor.continue();
          };
          request.onerror = () => reject(request.error);
        });
      });
    });
  }

  pendingCount(): Promise<number> {
    return this.#guard('pendingCount', () =>
      this.#run('pendingCount', [Stores.log, Stores.meta], 'readonly', async (tx) => {
        // Seqs are contiguous and acknowledgement only removes a prefix, so the count is
        // the span from the first logged seq to the last allocated one: no scan.
        const [state, firstSeq] = await Promise.all([
          requestResult(tx.objectStore(Stores.meta).get(MetaKey.writeState)),
          requestResult(tx.objectStore(Stores.log).getKey(this.#settings.keyRange.lowerBound(0))),
        ]);
        if (firstSeq === undefined) return 0;
        return ((state as WriteState | undefined) ?? INITIAL_WRITE_STATE).seq - (firstSeq as number) + 1;
      }),
    );
  }

  acknowledge(peer: string, ackedSeq: number): Promise<void> {
    return this.#guard('acknowledge', async () => {
      checkPeer(peer);
      checkCount(ackedSeq, 'ackedSeq');
      // Relaxed: if power loss drops this commit the batch is simply pushed again and the
      // server, which keeps the highest seq it applied per source, recognises it.
      await this.#run('acknowledge', [Stores.log, Stores.cursors], 'readwrite', async (tx) => {
        const log = tx.objectStore(Stores.log);
        const cursors = tx.objectStore(Stores.cursors);
        const upTo = this.#settings.keyRange.upperBound(ackedSeq);
        const [previous, straddling] = await Promise.all([
          requestResult(cursors.get(cursorKey.push(peer))) as Promise<number | undefined>,
          lastEntryAtOrBelow(log, upTo),
        ]);
        log.delete(upTo);
        if (straddling !== undefined && lastSeqOf(straddling) > ackedSeq) {
          const rest = trimEntry(straddling, ackedSeq);
          if (rest !== undefined) log.put(rest);
        }
        if (ackedSeq > (previous ?? 0)) cursors.put(ackedSeq, cursorKey.push(peer));
      }, 'relaxed');
    });
  }

  pushCursor(peer: string): Promise<number> {
    return this.#guard('pushCursor', () => this.#readCursor('pushCursor', peer, cursorKey.push(peer)));
  }

  pullCursor(peer: string): Promise<SyncCursor> {
    return this.#guard('pullCursor', () => this.#readCursor('pullCursor', peer, cursorKey.pull(peer)));
  }

  applyRemote(
    changes: readonly PulledChange[],
    options: { readonly policy: ConflictPolicy; readonly cursor?: CursorAdvance; readonly maxClockDriftMs?: number },
  ): Promise<ApplyResult> {
    return this.#guard('applyRemote', async () => {
      checkRemoteApply(changes, options);
      const clock = clockBound(options.maxClockDriftMs, this.#settings.now());
      const result =
        options.cursor === undefined
          ? await this.#applyServerStates(changes, options.policy, clock)
          : await this.#applyFeedBatch(changes, options.policy, options.cursor, clock);
      if (result.written.length > 0) this.#emit({ source: 'remote', changes: result.written.map(eventChange) });
      return { applied: result.written.length, conflicts: result.conflicts };
    });
  }

  // ---- lifecycle ----

  subscribe(listener: (event: ChangeEvent) => void): () => void {
    return this.#listeners.subscribe(listener);
  }

  close(): void {
    this.#closedBecause ??= 'close() was called on this replica';
    this.#db?.close();
    this.#db = undefined;
  }

  // ---- internals ----

  /** Runs an API call; any failure reaches the caller as a SyncError. */
  async #guard<T>(what: string, call: () => Promise<T>): Promise<T> {
    // Checked first so that calls which would not touch the database (an empty batch)
    // fail the same way after close.
    if (this.#closedBecause !== undefined) throw closedError(this.name, this.#closedBecause);
    try {
      return await call();
    } catch (error) {
      const mapped = toSyncError(error, what);
      // The connection went away under the call (versionchange, close()): say why.
      if (mapped.code === ErrorCode.DATABASE_CLOSED && this.#closedBecause !== undefined) {
        throw new SyncError(ErrorCode.DATABASE_CLOSED, closedError(this.name, this.#closedBecause).message, { cause: error });
      }
      throw mapped;
    }
  }

  #attach(db: IDBDatabase): void {
    db.onversionchange = (event) => {
      // Another tab wants to upgrade or delete the database; holding on would block it.
      db.close();
      if (this.#db !== db) return;
      this.#db = undefined;
      this.#closedBecause ??=
        event.newVersion === null
          ? 'another tab (or the app) is deleting the database'
          : `another tab is upgrading the database to version ${event.newVersion}; reload this tab`;
      this.#settings.onVersionChange?.(closedError(this.name, this.#closedBecause));
    };
    db.onclose = () => {
      // The browser closed the connection (storage cleared, disk error…). Reopen once on
      // the next call; `#connection` refuses if the database was deleted.
      if (this.#db === db) this.#db = undefined;
    };
    this.#db = db;
  }

  async #connection(): Promise<IDBDatabase> {
    if (this.#closedBecause !== undefined) throw closedError(this.name, this.#closedBecause);
    if (this.#db !== undefined) return this.#db;
    this.#reopening ??= this.#reopen().finally(() => {
      this.#reopening = undefined;
    });
    return this.#reopening;
  }

  async #reopen(): Promise<IDBDatabase> {
    const { factory, name, blockedTimeoutMs } = this.#settings;
    let db: IDBDatabase | undefined;
    try {
      db = await openDatabase({ factory, name, blockedTimeoutMs, mustExist: true });
      await loadInstanceId(db, name, this.instanceId);
    } catch (error) {
      db?.close();
      const cause = toSyncError(error, 'reopening');
      this.#closedBecause ??= `the browser closed it and reopening failed (${cause.message})`;
      throw new SyncError(ErrorCode.DATABASE_CLOSED, closedError(name, this.#closedBecause).message, { cause });
    }
    if (this.#closedBecause !== undefined) {
      // close() was called while reopening.
      db.close();
      throw closedError(name, this.#closedBecause);
    }
    this.#attach(db);
    return db;
  }

  /** Runs one transaction on the current connection. */
  async #run<T>(
    what: string,
    stores: readonly string[],
    mode: IDBTransactionMode,
    body: (tx: IDBTransaction) => Promise<T> | T,
    durability?: IDBTransactionDurability,
  ): Promise<T> {
    const db = await this.#connection();
    const chosen = durability ?? (mode === 'readwrite' ? this.#settings.durability : undefined);
    return runTransaction(db, stores, mode, chosen === undefined ? { what } : { what, durability: chosen }, body);
  }

  async #readCursor(what: string, peer: string, key: string): Promise<number> {
    checkPeer(peer);
    const value = await this.#run(what, [Stores.cursors], 'readonly', (tx) =>
      requestResult(tx.objectStore(Stores.cursors).get(key)),
    );
    return typeof value === 'number' ? value : 0;
  }

  /**
   * One local write transaction: read the write state inside it (other tabs write too),
   * tick the clock once, number the changes, put the records and ONE log entry, and save
   * the write state. Records, log entry and counters commit together or not at all.
   * The entry is based on the pull cursor unless `baseVersion` says otherwise.
   */
  async #writeLocal(what: string, changes: readonly LoggedChange[], baseVersion?: number): Promise<SyncChange[]> {
    if (changes.length === 0) return [];
    const logged = await this.#run(what, [Stores.records, Stores.log, Stores.meta], 'readwrite', async (tx) => {
      const meta = tx.objectStore(Stores.meta);
      const state = (await requestResult(meta.get(MetaKey.writeState))) as WriteState | undefined;
      const plan = planLocalWrite({ changes, state, instanceId: this.instanceId, now: this.#settings.now, baseVersion });
      const records = tx.objectStore(Stores.records);
      // Not awaited one by one: the requests queue in order and the transaction's
      // completion (or abort) covers them all.
      for (const record of plan.records) records.put(record);
      tx.objectStore(Stores.log).put(plan.entry);
      meta.put(plan.state, MetaKey.writeState);
      return plan.logged;
    });
    this.#emit({ source: 'local', changes: changes.map(eventChange) });
    return logged;
  }

  /**
   * A feed batch and its cursor, in one transaction. Never touches the log (echo
   * prevention). No per-record reads: the server's row is newer than any acknowledged
   * local state, so only records with a pending local change need a decision, and those
   * come from one read of the (small) log.
   */
  async #applyFeedBatch(
    changes: readonly PulledChange[],
    policy: ConflictPolicy,
    cursor: CursorAdvance,
    clock: ClockBound,
  ): Promise<RemotePlan> {
    // Relaxed: the batch and its cursor commit together, so power loss can only drop
    // both, and the next pull fetches the same batch again.
    return this.#run('applyRemote', [Stores.records, Stores.log, Stores.meta, Stores.cursors], 'readwrite', async (tx) => {
      const meta = tx.objectStore(Stores.meta);
      const cursors = tx.objectStore(Stores.cursors);
      const key = cursorKey.pull(cursor.peer);
      const [stored, state, entries] = await Promise.all([
        requestResult(cursors.get(key)) as Promise<number | undefined>,
        requestResult(meta.get(MetaKey.writeState)) as Promise<WriteState | undefined>,
        requestResult(tx.objectStore(Stores.log).getAll()) as Promise<LogEntry[]>,
      ]);
      const plan = planFeedBatch({ changes, policy, cursor, storedCursor: stored, state, entries, clock });
      const records = tx.objectStore(Stores.records);
      for (const change of plan.written) records.put(remoteRecord(change));
      meta.put(plan.state, MetaKey.writeState);
      cursors.put(cursor.to, key);
      return plan;
    }, 'relaxed');
  }

  /**
   * Server states learnt outside the feed (a push's conflicts): rare and few, so each
   * record is read (all gets issued at once) and written only if the server's state is
   * newer than what the replica holds. The pull cursor does not move.
   */
  async #applyServerStates(
    changes: readonly PulledChange[],
    policy: ConflictPolicy,
    clock: ClockBound,
  ): Promise<RemotePlan> {
    if (changes.length === 0) return { written: [], conflicts: [], state: undefined };
    return this.#run('applyRemote', [Stores.records, Stores.meta], 'readwrite', async (tx) => {
      const records = tx.objectStore(Stores.records);
      const meta = tx.objectStore(Stores.meta);
      const [state, ...held] = await Promise.all([
        requestResult(meta.get(MetaKey.writeState)) as Promise<WriteState | undefined>,
        ...changes.map((c) => requestResult(records.get([c.collective, c.id])) as Promise<StoredRecord | undefined>),
      ]);
      const plan = planServerStates({ changes, policy, held, state, clock });
      for (const change of plan.written) records.put(remoteRecord(change));
      if (plan.state !== undefined) meta.put(plan.state, MetaKey.writeState);
      return plan;
    });
  }

  #emit(event: ChangeEvent): void {
    this.#listeners.emit(event);
  }
}

function assertKey(collective: string, id: string | undefined): void {
  assertCollective(collective);
  if (id !== undefined) assertRecordId(id);
}

/** The log entry with the highest first seq inside `range` (the one an ack may split). */
function lastEntryAtOrBelow(log: IDBObjectStore, range: IDBKeyRange): Promise<LogEntry | undefined> {
  return requestResult(log.openCursor(range, 'prev')).then((cursor) => (cursor === null ? undefined : (cursor.value as LogEntry)));
}
