/**
 * The replica's object stores and their values. One IndexedDB database per replica:
 *
 * - `records`  key `[collective, id]` → {@link StoredRecord} (deletes kept as tombstones)
 * - `log`      key = first seq of a write transaction → {@link LogEntry} (one entry per
 *              transaction, so a write of N records costs N + 1 puts, not 2N)
 * - `meta`     `instanceId` → string, `writeState` → {@link WriteState}
 * - `cursors`  `pull:<peer>` / `push:<peer>` → number
 *
 * The `records` store also holds the indexes of declared collections (`record-indexes.ts`).
 * They change with the app's declarations, so the database version is not fixed: each
 * change of indexes is one more version (see `open-database.ts`).
 */
import type { Hlc } from '../clock/hlc.ts';
import { HLC_ZERO } from '../clock/hlc.ts';
import type { ChangeOp, InstanceId, JsonValue, SyncCursor } from '../protocol/types.ts';
import { isManagedIndex, LIVE_INDEX, type IndexDefinition } from './record-indexes.ts';

/**
 * The lowest database version of the current layout. Bump it with a step in
 * {@link upgradeSchema} whenever a store changes; index changes only add versions above it.
 */
export const SCHEMA_VERSION = 1;

/** Object store names. */
export const Stores = {
  records: 'records',
  log: 'log',
  meta: 'meta',
  cursors: 'cursors',
} as const;

/** Keys of the `meta` store. */
export const MetaKey = {
  instanceId: 'instanceId',
  writeState: 'writeState',
} as const;

/** A record as stored: live or a tombstone. */
export interface StoredRecord {
  readonly collective: string;
  readonly id: string;
  /** Absent on tombstones. */
  readonly value?: JsonValue;
  readonly deleted: boolean;
  readonly hlc: Hlc;
  readonly origin: InstanceId;
  /** Server version, when this state came from the server. */
  readonly version?: number;
  /** 1 on every record that is not a tombstone: the key of the `live` index. */
  readonly live?: 1;
}

/** One change inside a {@link LogEntry}; its seq is the entry's `seq` plus its index. */
export interface LoggedChange {
  readonly collective: string;
  readonly id: string;
  readonly op: ChangeOp;
  readonly value?: JsonValue;
}

/** The change-log entry of one local write transaction. */
export interface LogEntry {
  /** Seq of the first change; the key. */
  readonly seq: number;
  /** The one timestamp of the transaction. */
  readonly hlc: Hlc;
  /** The pull cursor the replica had applied when it wrote (null: never pulled). */
  readonly baseVersion: number | null;
  readonly changes: readonly LoggedChange[];
}

/**
 * Counters every write transaction reads and writes inside itself, so tabs sharing the
 * database never hand out the same seq or an older timestamp.
 */
export interface WriteState {
  /** Last seq allocated (0: none yet). Seqs are never reused, even after acknowledgement. */
  readonly seq: number;
  /** Last timestamp issued or seen. */
  readonly hlc: Hlc;
  /** Latest pull cursor applied, the base of the next local change; null before any pull. */
  readonly basis: SyncCursor | null;
}

/** The write state of a replica that has never written nor pulled. */
export const INITIAL_WRITE_STATE: WriteState = { seq: 0, hlc: HLC_ZERO, basis: null };

/** Keys of the `cursors` store: pull and push are separate values per peer. */
export const cursorKey = {
  pull: (peer: string): string => `pull:${peer}`,
  push: (peer: string): string => `push:${peer}`,
};

/**
 * Creates or migrates the object stores, and makes the `records` indexes those of
 * `indexes` (when given); runs inside the version-change transaction `tx`.
 */
export function upgradeSchema(db: IDBDatabase, tx: IDBTransaction, oldVersion: number, indexes?: ReadonlyMap<string, IndexDefinition>): void {
  if (oldVersion < 1) {
    db.createObjectStore(Stores.records, { keyPath: ['collective', 'id'] });
    db.createObjectStore(Stores.log, { keyPath: 'seq' });
    db.createObjectStore(Stores.meta);
    db.createObjectStore(Stores.cursors);
  }
  if (indexes === undefined) return;
  const records = tx.objectStore(Stores.records);
  for (const name of Array.from(records.indexNames)) {
    const wanted = indexes.get(name);
    if (isManagedIndex(name) && (wanted === undefined || !sameKeyPath(records.index(name).keyPath, wanted.keyPath))) records.deleteIndex(name);
  }
  for (const index of indexes.values()) {
    if (records.indexNames.contains(index.name)) continue;
    records.createIndex(index.name, [...index.keyPath]);
    if (index === LIVE_INDEX) markLiveRecords(records);
  }
}

/** Does the `records` store of `db` hold exactly the managed indexes of `indexes`? */
export function hasIndexes(db: IDBDatabase, indexes: ReadonlyMap<string, IndexDefinition>): boolean {
  const records = db.transaction(Stores.records, 'readonly').objectStore(Stores.records);
  const managed = Array.from(records.indexNames).filter(isManagedIndex);
  return managed.length === indexes.size && managed.every((name) => {
    const wanted = indexes.get(name);
    return wanted !== undefined && sameKeyPath(records.index(name).keyPath, wanted.keyPath);
  });
}

function sameKeyPath(actual: string | string[], wanted: readonly string[]): boolean {
  return Array.isArray(actual) && actual.length === wanted.length && actual.every((part, i) => part === wanted[i]);
}

/**
 * Records written before the `live` marker existed (an older pulsesync) get it, once,
 * when the `live` index is first made; later writes always carry it.
 */
function markLiveRecords(records: IDBObjectStore): void {
  const request = records.openCursor();
  request.onsuccess = () => {
    const cursor = request.result;
    if (cursor === null) return;
    const record = cursor.value as StoredRecord;
    if (!record.deleted && record.live !== 1) cursor.update({ ...record, live: 1 });
    cursor.continue();
  };
}
