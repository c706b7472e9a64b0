/**
 * The replica's object stores and their values. One IndexedDB database per replica:
 *
 * - `records`  key `[collective, id]` → {@link StoredRecord} (deletes kept as tombstones)
 * - `log`      key = first seq of a write transaction → {@link LogEntry} (one entry per
 *              transaction, so a write of N records costs N + 1 puts, not 2N)
 * - `meta`     `instanceId` → string, `writeState` → {@link WriteState}
 * - `cursors`  `pull:<peer>` / `push:<peer>` → number
 */
import type { Hlc } from '../clock/hlc.ts';
import { HLC_ZERO } from '../clock/hlc.ts';
import type { ChangeOp, InstanceId, JsonValue, SyncCursor } from '../protocol/types.ts';

/** Bump with a migration step in {@link upgradeSchema} whenever a store changes. */
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

/** Creates or migrates the object stores; runs inside the version-change transaction. */
export function upgradeSchema(db: IDBDatabase, oldVersion: number): void {
  if (oldVersion < 1) {
    db.createObjectStore(Stores.records, { keyPath: ['collective', 'id'] });
    db.createObjectStore(Stores.log, { keyPath: 'seq' });
    db.createObjectStore(Stores.meta);
    db.createObjectStore(Stores.cursors);
  }
}
