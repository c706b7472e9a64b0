/**
 * The server's storage interface. `memoryServerStore`, `sqliteServerStore` and
 * `postgresServerStore` implement it and pass one contract suite
 * (`src/testing/server-store-contract.ts`, exported from `pulsesync/testing`). Stores are dumb: the rules (idempotency,
 * conflicts, access) live in `createSyncServer`, once for all of them.
 */
import type { Hlc } from '../clock/hlc.ts';
import type { FieldStamp, InstanceId, RecordKey, RecordState, SyncCursor } from '../protocol/types.ts';
import type { WriteStamp } from '../protocol/write-order.ts';
import type { KeptAnswer } from './instance-answers.ts';
import type { SweepResult, TombstoneSweep } from './stores/tombstone-sweep.ts';

export type { SweepResult, TombstoneSweep } from './stores/tombstone-sweep.ts';

/** The server's one row per record: its latest state (deletes as tombstones). */
export type ServerRecord = ServerRecordWrite & {
  /** Server sequence of this write: increases on every accepted write, store-wide. */
  readonly version: number;
};

/** A row to write; the store assigns its version. */
export type ServerRecordWrite = RecordKey &
  RecordState & {
    readonly hlc: Hlc;
    /**
     * The replica that wrote this state; for a field-level record written by several,
     * `SEVERAL_WRITERS` (`field-merge.ts`). The feed leaves a row out for this replica.
     */
    readonly source: InstanceId;
    /**
     * A field-level record's stamps (`field-last-write-wins`), kept and served as they
     * are; absent on a record written whole. A stamp without a version was written at
     * the row's version.
     */
    readonly fields?: readonly FieldStamp[];
    /**
     * The writes this state's line of whole-record writes overruled without having seen
     * them, whose writers may not know yet (see `overruled-writes.ts`); absent when none.
     * Served to each named writer as `PulledChange.over`.
     */
    readonly over?: readonly WriteStamp[];
  };

/** A query of the change feed. */
export interface ChangeQuery {
  /** Rows with version greater than this. */
  readonly after: SyncCursor;
  readonly limit: number;
  /** Only these collectives; undefined for all. An empty list matches nothing. */
  readonly collectives?: readonly string[];
  /** Leave out rows written by this instance (echo prevention). */
  readonly excludeSource?: InstanceId;
  /** Also count every matching row after `after` (this page included). */
  readonly withTotal?: boolean;
  /**
   * Stop the page before its rows pass this many bytes, as `feedRowBytes` measures
   * them; a page still carries at least one row. Undefined: rows alone limit it.
   */
  readonly maxBytes?: number;
}

/** One page of the change feed, read from one consistent snapshot. */
export interface ChangePage {
  /** Matching rows in increasing version order, at most `limit` (and `maxBytes`). */
  readonly rows: readonly ServerRecord[];
  /** More matching rows follow this page. */
  readonly hasMore: boolean;
  /**
   * Where the next page starts: the last row's version when `hasMore`, else the
   * highest version in the snapshot, so the cursor moves past rows that were filtered
   * out. Never a version that a later commit could still fall below.
   */
  readonly newCursor: SyncCursor;
  /**
   * The highest version in the snapshot the page was read from (0 when empty), so a
   * caller needs no second read of {@link ServerStore.latestVersion}.
   */
  readonly latest: SyncCursor;
  /** Number of matching rows after `after`, when asked. */
  readonly total?: number;
  /**
   * The highest version of a row removed by {@link ServerStore.sweepTombstones} among the
   * page's collectives (all of them when the query names none), read from the same
   * snapshot. Absent when none was removed.
   */
  readonly gcFloor?: SyncCursor;
}

/**
 * What the server knows of one instance id: who may write under it, and the
 * fingerprints that tell a re-sent change from a clone's different change at the same
 * seq. Written by pushes, in the push's transaction.
 */
export interface InstanceRecord {
  readonly instanceId: InstanceId;
  /** The identity that first wrote under this id; null while only in-process (trusted) callers did. */
  readonly owner: string | null;
  /** The id of the server-issued instance key the id is bound to; null until a push carries one. */
  readonly keyId: string | null;
  /** Highest seq pushed under this id. */
  readonly seq: number;
  /** `[seq, fingerprint]` of recent changes, in increasing seq order (bounded). */
  readonly recent: readonly (readonly [number, string])[];
  /**
   * The refusals and conflicts the server answered to recent changes, in increasing seq
   * order (bounded; see `instance-answers.ts`), so that a change re-sent after a lost
   * answer is told them again. Absent or empty when there are none; a store that does
   * not keep it only loses that second telling.
   */
  readonly answers?: readonly KeptAnswer[];
}

/** What one committed transaction touched, as commit listeners hear it. */
export interface StoreCommit {
  /**
   * The collectives it wrote rows in. Absent when unknown: commits another process made
   * while this one was not listening.
   */
  readonly collectives?: readonly string[];
}

/** Reads and writes inside one store transaction (serialisable with other pushes). */
export interface ServerStoreTransaction {
  /** Current rows for these keys, by {@link recordKey}. */
  getRecords(keys: readonly { readonly collective: string; readonly id: string }[]): Promise<Map<string, ServerRecord>>;
  /** Highest local seq of `source` applied so far; 0 if none. */
  getAppliedSeq(source: InstanceId): Promise<number>;
  setAppliedSeq(source: InstanceId, seq: number): Promise<void>;
  /** Upserts rows, giving each the next version, in order. Returns them with versions. */
  writeRecords(rows: readonly ServerRecordWrite[]): Promise<ServerRecord[]>;
  /** What the server knows of this instance id, as this transaction sees it. */
  getInstance(instanceId: InstanceId): Promise<InstanceRecord | undefined>;
  /** Creates or replaces the record of `record.instanceId`. */
  putInstance(record: InstanceRecord): Promise<void>;
}

/** Server storage. */
export interface ServerStore {
  /** `memory`, `sqlite` or `postgres`: for health and logs. */
  readonly kind: string;
  /** A stable id of this data set, made on first use and kept. */
  serverId(): Promise<string>;
  /**
   * A random secret made on first use and kept with the data, never sent to anyone: the
   * server signs instance keys with it, so every process over one database agrees.
   */
  secret(): Promise<string>;
  /** Runs `fn` in one write transaction: all its writes commit, or none. */
  transaction<T>(fn: (tx: ServerStoreTransaction) => Promise<T>): Promise<T>;
  /** One page of the change feed. */
  readChanges(query: ChangeQuery): Promise<ChangePage>;
  /**
   * Highest version written so far (0 when empty), rows removed by a tombstone sweep
   * included: a version is never handed out twice, and no cursor goes back.
   */
  latestVersion(): Promise<SyncCursor>;
  /**
   * Highest version among the rows of these collectives, removed tombstones included
   * (0 when they never held one): where a restricted reader's cursor may go. One index
   * seek per collective.
   */
  latestVersionIn(collectives: readonly string[]): Promise<SyncCursor>;
  /**
   * Every collective that holds at least one row (tombstones included) or had one
   * removed by a tombstone sweep, in any order. Grows with the server: only for callers
   * whose readable collectives are not a list.
   */
  listCollectives(): Promise<string[]>;
  /**
   * Removes, in one transaction, tombstones written longer than `sweep.horizonMs` ago,
   * looking at no more than `sweep.maxRows` rows, and raises the gc floors (store-wide
   * and per collective: the highest version removed) in the same transaction. Call again
   * while `done` is false. Optional: a store without it keeps its tombstones, and its
   * pulls are never refused `CURSOR_EXPIRED`. See `stores/tombstone-sweep.ts`.
   */
  sweepTombstones?(sweep: TombstoneSweep): Promise<SweepResult>;
  /** What the server knows of this instance id (committed state). */
  getInstance(instanceId: InstanceId): Promise<InstanceRecord | undefined>;
  /**
   * Calls `listener` after any transaction that wrote rows commits, in this process
   * or (for shared stores such as Postgres) in any other, saying which collectives it
   * touched. Returns an unsubscribe.
   */
  onCommit(listener: (commit: StoreCommit) => void): () => void;
  /** Releases connections and files. */
  close(): Promise<void>;
}

/** The map key of a record in {@link ServerStoreTransaction.getRecords}. */
export { recordKey } from '../protocol/record-key.ts';
