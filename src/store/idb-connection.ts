/**
 * The IndexedDB replica's connection: one open database, what happens when the browser
 * or another tab takes it away (closed for good on `versionchange`, reopened once after
 * an unexpected close, refused if the database was deleted meanwhile), and the two ways
 * every call reaches it: `guard` (any failure reaches the caller as a SyncError) and
 * `run` (one transaction on the current connection).
 */
import { notInPrebuiltWorker } from '../engine/prebuilt-worker.ts';
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { InstanceId } from '../protocol/types.ts';
import type { ReplicaFields } from './field-seam.ts';
import { closedError, toSyncError } from './idb-errors.ts';
import { requestResult, runTransaction } from './idb-transaction.ts';
import { withOneReconnect } from './lost-connection.ts';
import { openDatabase } from './open-database.ts';
import { MetaKey, Stores } from './schema.ts';
import { uuidV7 } from './uuid-v7.ts';

/** The parts of `IDBKeyRange` the replica uses (injectable, like the factory). */
export type KeyRangeFactory = Pick<typeof IDBKeyRange, 'bound' | 'lowerBound' | 'upperBound'>;

/** What a replica was opened with, after defaults. */
export interface ReplicaSettings {
  readonly name: string;
  readonly factory: IDBFactory;
  readonly keyRange: KeyRangeFactory;
  readonly blockedTimeoutMs: number;
  readonly now: () => number;
  readonly durability?: IDBTransactionDurability;
  /** Field-level records and history (`ReplicaOptions.fields`). */
  readonly fields?: ReplicaFields | undefined;
}

/**
 * Reads the replica's identity, making it on first open. With `expected` (a reopen) a
 * missing or different identity means the database was deleted, perhaps recreated by
 * another tab: this replica must not carry on in it.
 */
export function loadInstanceId(db: IDBDatabase, name: string, expected: InstanceId | undefined): Promise<InstanceId> {
  return runTransaction(db, [Stores.meta], 'readwrite', { what: 'opening the replica' }, async (tx) => {
    const meta = tx.objectStore(Stores.meta);
    const stored = (await requestResult(meta.get(MetaKey.instanceId))) as InstanceId | undefined;
    if (expected !== undefined && stored !== expected) {
      throw closedError(name, 'it was deleted while in use');
    }
    if (stored !== undefined) return stored;
    const instanceId = uuidV7();
    meta.put(instanceId, MetaKey.instanceId);
    return instanceId;
  });
}

/** Why a `versionchange` closes the replica for good. */
export function closedByVersionChange(event: IDBVersionChangeEvent): string {
  return event.newVersion === null
    ? 'another tab (or the app) is deleting it'
    : `another tab is upgrading it to version ${event.newVersion}; reload this tab`;
}

/** The open database of one replica, and the transactions run on it. */
export class IdbConnection {
  readonly settings: ReplicaSettings;
  /** The identity a reopen expects to find; moves with a fresh identity (`idb-identity.ts`). */
  instanceId: InstanceId;
  /** The open connection; undefined after the browser closed it (reopened on the next call). */
  #db: IDBDatabase | undefined;
  #reopening: Promise<IDBDatabase> | undefined;
  /** Why the replica is closed for good; set by `close()`, `versionchange` or a failed reopen. */
  #closedBecause: string | undefined;

  constructor(settings: ReplicaSettings, db: IDBDatabase, instanceId: InstanceId) {
    this.settings = settings;
    this.instanceId = instanceId;
    this.#attach(db);
  }

  /** Runs an API call; any failure reaches the caller as a SyncError. */
  async guard<T>(what: string, call: () => Promise<T>): Promise<T> {
    const { name } = this.settings;
    // Checked first so that calls which would not touch the database (an empty batch)
    // fail the same way after close.
    if (this.#closedBecause !== undefined) throw closedError(name, this.#closedBecause);
    try {
      return await call();
    } catch (error) {
      const mapped = toSyncError(error, what);
      // The connection went away under the call (versionchange, close()): say why.
      if (mapped.code === ErrorCode.DATABASE_CLOSED && this.#closedBecause !== undefined) {
        throw this.#closedWith(error);
      }
      throw mapped;
    }
  }

  /**
   * Runs one transaction on the current connection. Read-write transactions take the
   * replica's `durability` unless the caller names one.
   */
  async run<T>(
    what: string,
    stores: readonly string[],
    mode: IDBTransactionMode,
    body: (tx: IDBTransaction) => Promise<T> | T,
    durability?: IDBTransactionDurability,
  ): Promise<T> {
    // (A prebuilt worker's replica is given no durability: see openReplica.)
    const chosen = durability ?? (mode === 'readwrite' ? notInPrebuiltWorker(this.settings, 'durability') : undefined);
    // A connection lost under us (Safari) is reopened once; see lost-connection.ts.
    return withOneReconnect(
      () => this.database(),
      (lost) => {
        if (this.#db === lost) this.#db = undefined;
      },
      (db) => runTransaction(db, stores, mode, chosen === undefined ? { what } : { what, durability: chosen }, body),
    );
  }

  /** Closes the database for good; later calls fail with `DATABASE_CLOSED`. */
  close(): void {
    this.#closedBecause ??= 'close() was called on this replica';
    this.#db?.close();
    this.#db = undefined;
  }

  #attach(db: IDBDatabase): void {
    db.onversionchange = (event) => {
      // Another tab wants to upgrade or delete the database; holding on would block it.
      db.close();
      if (this.#db !== db) return;
      this.#db = undefined;
      this.#closedBecause ??= closedByVersionChange(event);
    };
    db.onclose = () => {
      // The browser closed the connection (storage cleared, disk error…). Reopen once on
      // the next call; `database()` refuses if the database was deleted.
      if (this.#db === db) this.#db = undefined;
    };
    this.#db = db;
  }

  /** The open database; after the browser closed it, reopened once (refused if it was deleted meanwhile). */
  async database(): Promise<IDBDatabase> {
    if (this.#closedBecause !== undefined) throw closedError(this.settings.name, this.#closedBecause);
    if (this.#db !== undefined) return this.#db;
    this.#reopening ??= this.#reopen().finally(() => {
      this.#reopening = undefined;
    });
    return this.#reopening;
  }

  /** The replica is closed (`#closedBecause` says why), on account of `cause`. */
  #closedWith(cause: unknown): SyncError {
    return new SyncError(ErrorCode.DATABASE_CLOSED, closedError(this.settings.name, this.#closedBecause as string).message, { cause });
  }

  async #reopen(): Promise<IDBDatabase> {
    const { factory, name, blockedTimeoutMs } = this.settings;
    let db: IDBDatabase | undefined;
    try {
      // At its current version: with whatever indexes the first open made (`ReplicaOptions.open`).
      db = await openDatabase({ factory, name, blockedTimeoutMs, mustExist: true });
      await loadInstanceId(db, name, this.instanceId);
    } catch (error) {
      db?.close();
      const cause = toSyncError(error, 'reopening');
      this.#closedBecause ??= `the browser closed it, reopening failed (${cause.message})`;
      throw this.#closedWith(cause);
    }
    if (this.#closedBecause !== undefined) {
      // close() was called while reopening.
      db.close();
      throw closedError(name, this.#closedBecause);
    }
    this.#attach(db);
    return db;
  }
}
