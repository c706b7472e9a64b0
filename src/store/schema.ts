/**
 * The replica's object stores and their values. One IndexedDB database per replica:
 *
 * - `records`  key `[collective, id]` → {@link RecordRow} (deletes kept as tombstones)
 * - `log`      key = first seq of a write transaction → {@link LogEntry} (one entry per
 *              transaction, so a write of N records costs N + 1 puts, not 2N)
 * - `meta`     `instanceId` → string, `writeState` → {@link WriteState},
 *              `instanceKey` → {@link StoredInstanceKey}
 * - `cursors`  `pull:<peer>` / `push:<peer>` / `mark:<peer>` (snapshot mark) → number
 *
 * The `records` store may also hold the indexes of declared collections
 * (`record-indexes.ts`, made by `index-upgrade.ts` only when an app declares them).
 * They change with the app's declarations, so the database version is not fixed: each
 * change of indexes is one more version, and every open asks for the current one.
 */
import type { Hlc } from '../clock/hlc.ts';
import { HLC_ZERO } from '../clock/hlc.ts';
import type { HistoryEntry } from './field-seam.ts';
import type { FieldStamp, InstanceId, InstanceKey, JsonValue, PatchState, PulledChange, RecordKey, RecordState, SyncCursor } from '../protocol/types.ts';

/**
 * The lowest database version of the current layout. Index changes only add versions
 * above it, so a future change of stores cannot be told by the version number alone:
 * it needs a step in {@link upgradeSchema} and a layout mark kept in `meta`.
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
  instanceKey: 'instanceKey',
  /** A pull snapshot under way: a `PullSnapshot` (see `pull-snapshot.ts`). */
  snapshot: 'snapshot',
} as const;

/**
 * The instance key a server issued, with the id it was issued for: a key is worth
 * something only under its id, so one kept for an id the replica has left is ignored.
 */
export interface StoredInstanceKey {
  readonly instanceId: InstanceId;
  readonly key: InstanceKey;
}

/**
 * A record as the replica holds it, live or a tombstone (a `delete` state): the
 * protocol's state plus who wrote it, when, and its server version when it came from
 * the server. A {@link PulledChange} is one as it stands.
 */
export type ReplicaRecord = RecordKey &
  RecordState & {
    readonly hlc: Hlc;
    /** The replica that wrote this state. */
    readonly source: InstanceId;
    /** Server version, when this state came from the server. */
    readonly version?: number;
    /**
     * A field-level record's stamps (`field-last-write-wins`), each with its server
     * version where known (none on this replica's own unpushed writes). Absent on a
     * record written whole.
     */
    readonly fields?: readonly FieldStamp[];
    /** The record's recent history (`record-history.ts`); kept only by replicas given `fields`. */
    readonly history?: readonly HistoryEntry[];
  };

/**
 * A `records` row as IndexedDB holds it. Why not a {@link ReplicaRecord} as it stands:
 * 0.1 wrote rows with `deleted` and the writer under `origin`, and databases in the
 * field hold them. Rather than a version-change upgrade rewriting every row (a full
 * pass over a large replica on first open, and blocked while any 0.1 tab keeps the
 * database open), the row layout stays and these two functions are the one place it
 * meets the domain shape.
 */
export interface RecordRow {
  readonly collective: string;
  readonly id: string;
  /** Absent on tombstones. */
  readonly value?: JsonValue;
  readonly deleted: boolean;
  readonly hlc: Hlc;
  /** The writer; `source` everywhere else. */
  readonly origin: InstanceId;
  readonly version?: number;
  /** Written by the pull snapshot with this `gen` while it ran (see `pull-snapshot.ts`). */
  readonly seen?: string | undefined;
  /** 1 on every row that is not a tombstone: the key of collections' `live` index. */
  readonly live?: 1;
  /** A field-level record's stamps; absent on records written whole (and on every 0.1 row). */
  readonly fields?: readonly FieldStamp[];
  readonly history?: readonly HistoryEntry[];
}

/**
 * The row that stores `record`. What the row does not rename (key, clock, version,
 * field stamps, history) it keeps as it is, so a property added to records is stored
 * without a change here.
 */
export function toRecordRow(record: ReplicaRecord): RecordRow {
  const { source, op, value, ...kept } = record;
  // `live` on every put, whether or not this app declares collections: an index made
  // later (or by another version of the app) must find every live row.
  return op === 'put' ? { ...kept, origin: source, value: value as JsonValue, deleted: false, live: 1 } : { ...kept, origin: source, deleted: true };
}

/**
 * The record a row stores: the row less what only rows hold (`live`, `seen`: list a
 * row-only property here, or records carry it back into rows and to the app).
 */
export function fromRecordRow(row: RecordRow): ReplicaRecord {
  const { origin, deleted, value, live: _live, seen: _seen, ...kept } = row;
  // A live 0.1 row always has a value (puts were checked); `?? null` only satisfies the type.
  return deleted ? { ...kept, source: origin, op: 'delete' } : { ...kept, source: origin, op: 'put', value: value ?? null };
}

/**
 * One change inside a {@link LogEntry}; its seq is the entry's `seq` plus its index. A
 * patch is logged as the patch (its fields), and pushed as one.
 */
export type LoggedChange = RecordKey & (RecordState | PatchState);

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
  mark: (peer: string): string => `mark:${peer}`,
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
