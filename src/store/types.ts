/**
 * The local replica's interface. `openReplica()` (IndexedDB, `idb-replica.ts`) and
 * `memoryReplica()` implement it; a packed layout may replace them later and must pass
 * the same contract suite (`src/testing/replica-contract.ts`).
 */
import type { Hlc } from '../clock/hlc.ts';
import type { FieldConflict, PatchInput, RecordExplanation } from './field-seam.ts';
import type {
  ConflictPolicy,
  InstanceId,
  InstanceKey,
  JsonValue,
  PulledChange,
  PushedChange,
  RecordKey,
  RecordState,
  SyncChange,
  SyncCursor,
} from '../protocol/types.ts';

/** A live record as the app sees it. */
export interface RecordEntry {
  readonly collective: string;
  readonly id: string;
  readonly value: JsonValue;
  /** When it was last written, on the writer's hybrid logical clock. */
  readonly hlc: Hlc;
  /** The replica that wrote this state. */
  readonly source: InstanceId;
  /** The server version of this state, when it came from the server. */
  readonly version?: number;
}

/** One record to write with `putMany`. */
export interface RecordInput {
  readonly collective: string;
  readonly id: string;
  readonly value: JsonValue;
}

/** One local write: a put or a delete. */
export type LocalWrite = RecordKey & RecordState;

/** Options of {@link LocalStore.write}. */
export interface LocalWriteOptions {
  /**
   * The server version these writes are based on, instead of the pull cursor: for a
   * conflict's resolution, made knowing the server's record at this version (the
   * replica may not have pulled that far yet). Under server-wins the server takes the
   * change unless the record moved past this version, and a pulled change no newer
   * than it does not overwrite the pending write.
   */
  readonly baseVersion?: number;
  /**
   * How error messages name the argument (`put`, `records`, …); default `writes`. Lets a
   * host route `put`, `putMany` and `delete` through `write` (for the seqs it returns)
   * with the messages those calls give.
   */
  readonly field?: string;
}

/** What changed in the replica, for UIs to re-render. */
export interface ChangeEvent {
  /** `local`: written through this or another tab's API; `remote`: arrived by sync. */
  readonly source: 'local' | 'remote';
  readonly changes: readonly (RecordKey & RecordState)[];
}

/**
 * A pulled change that met a local change not yet pushed (last-write-wins), or, under
 * `field-last-write-wins`, a server state that overruled writes of this replica: still
 * pending, or pushed and overruled by a write that had not seen them.
 */
export interface LocalConflict {
  readonly collective: string;
  readonly id: string;
  /** The pending local state and its timestamp (field-level: the record held before the merge). */
  readonly local: RecordState & { readonly hlc: Hlc };
  /** The incoming server state. */
  readonly remote: PulledChange;
  /** Which side the replica now holds (field-level: `remote`, in the fields lost; the others stay merged). */
  readonly winner: 'local' | 'remote';
  /** The local state was a write pushed already, which the server says `remote` overruled unseen (`PulledChange.over`); else pending. */
  readonly pushed?: boolean;
  /** Field-level: the conflict as the engine reports it, the fields lost named (see `FieldConflict`). */
  readonly report?: FieldConflict;
}

/** Where a pulled batch moves the pull cursor; checked and written in the batch's transaction. */
export interface CursorAdvance {
  /** Which server (its `serverId`, plus the collective filter): cursors are per peer. */
  readonly peer: string;
  /**
   * The cursor the batch was pulled from. If the stored cursor differs (another tab
   * applied this batch, or a frozen leader woke up late) nothing is written and the
   * call fails with `CONFLICT`.
   */
  readonly from: SyncCursor;
  readonly to: SyncCursor;
  /**
   * The answer's `snapshotMark` (a pull from 0): kept beside the cursor, sent with later
   * pulls. A pull from 0 answered with a mark begins a snapshot (see `pull-snapshot.ts`).
   */
  readonly mark?: SyncCursor | undefined;
  /** The feed's last page (`hasMore` false): a snapshot ends here. */
  readonly last?: boolean;
  /** The collectives the feed is limited to (undefined: all): a snapshot drops records of these only. */
  readonly collectives?: readonly string[] | undefined;
  /** With a pull from 0: records a snapshot keeps though it does not bring them (writes the server refused stay local). */
  readonly keep?: readonly RecordKey[] | undefined;
  /**
   * The push cursor of `peer` read before the pull was asked. If the stored one differs,
   * a push was acknowledged since: the answer may predate it and carry a record's older
   * state, and the acknowledgement took the log entry that would have kept the pushed
   * write from it (echo prevention never brings that write back). Nothing is written and
   * the call fails with `CONFLICT`; a pull asked now sees the push. Unchecked if absent.
   */
  readonly acked?: number | undefined;
}

/** Why a client reset pulls a snapshot: the server refused its pull cursor as too old or as ahead of it. */
export type SnapshotCause = 'cursor-expired' | 'cursor-ahead';

/** What `applyRemote` did. */
export interface ApplyResult {
  /** Changes now in the replica. */
  readonly applied: number;
  /** Changes that met a pending local change (last-write-wins; under `field-last-write-wins` none yet, they merge). */
  readonly conflicts: readonly LocalConflict[];
  /** A reset's snapshot ended with this batch: its cause and how many local records it dropped (see `resetPull`). */
  readonly reset?: { readonly cause: SnapshotCause; readonly dropped: number } | undefined;
}

/** Who the replica is to a server, as a handshake tells it. */
export interface ReplicaIdentity {
  readonly instanceId: InstanceId;
  /** The key a server issued for this id (see `InstanceKey`); absent until one did. */
  readonly instanceKey?: InstanceKey;
  /** The highest seq this replica ever made under this id (its write counter; 0 if none). */
  readonly lastSeq: number;
}

/** The local replica: records, change log, cursors and meta in one database. */
export interface LocalStore {
  /**
   * This replica's identity (UUID v7), made on first open and kept until
   * {@link LocalStore.startNewIdentity} replaces it.
   */
  readonly instanceId: InstanceId;
  /** The database name. */
  readonly name: string;

  // ---- data (the app's side) ----
  /** Writes one record and its change-log entry in one transaction. */
  put(collective: string, id: string, value: JsonValue): Promise<void>;
  /** Writes many records and one change-log entry in one transaction: all or none. */
  putMany(records: readonly RecordInput[]): Promise<void>;
  /** Deletes a record (keeps a tombstone for sync) and logs it, in one transaction. */
  delete(collective: string, id: string): Promise<void>;
  /**
   * Writes some fields of a record, leaving the others as they are, and logs the patch,
   * in one transaction; returns the logged change. Each entry sets its value at its
   * path, or, without a value (`undefined`), deletes the key there; no path may be
   * another's or lie inside another's. A record missing or deleted is made of the
   * patched fields alone (the field rules of `field-merge.ts`). Pushed as a patch, which
   * only a server under `field-last-write-wins` takes. Only on a replica with field-level
   * records (the memory replica, `openReplica({ fields: replicaFields })`).
   */
  patch?(collective: string, id: string, fields: PatchInput): Promise<readonly PushedChange[]>;
  /**
   * Why the record holds its value: its writes and recent history as this replica knows
   * them (`record-history.ts`). Only on a replica with field-level records, as `patch`.
   */
  explain?(collective: string, id: string): Promise<RecordExplanation>;
  /** Puts and deletes together, in one transaction. Returns the logged changes. */
  write(writes: readonly LocalWrite[], options?: LocalWriteOptions): Promise<readonly SyncChange[]>;
  /** One live record, or undefined if absent or deleted. */
  get(collective: string, id: string): Promise<RecordEntry | undefined>;
  /** Every live record of a collective, ordered by id. */
  list(collective: string): Promise<RecordEntry[]>;

  // ---- sync (the engine's side) ----
  /** The oldest unacknowledged changes, in seq order, at most `limit`; patches as patches. */
  pendingChanges(limit: number): Promise<PushedChange[]>;
  /** How many changes wait in the change log. */
  pendingCount(): Promise<number>;
  /**
   * The server has dealt with every change up to `ackedSeq`: drop them from the log and
   * record the push cursor for `peer`, in one transaction. Never moves backwards. With
   * `instanceId`, does nothing unless the replica still holds that id: an answer to a
   * push made under an id since retired (`startNewIdentity`, perhaps in another tab)
   * counts seqs the renumbered log no longer means.
   */
  acknowledge(peer: string, ackedSeq: number, instanceId?: InstanceId): Promise<void>;
  /** The push cursor (highest acknowledged seq) for `peer`; 0 if none. */
  pushCursor(peer: string): Promise<number>;
  /** The pull cursor for `peer`; 0 if none. */
  pullCursor(peer: string): Promise<SyncCursor>;
  /** The `snapshotMark` kept beside the pull cursor of `peer` (see `CursorAdvance.mark`). */
  snapshotMark(peer: string): Promise<SyncCursor | undefined>;
  /**
   * Applies changes from the server without logging them (echo prevention). With
   * `cursor`, they are a feed batch and the cursor is written in the same transaction;
   * without, they are server states learnt from a push's conflicts and each is written
   * only if newer than what the replica holds. Under `field-last-write-wins` each is
   * merged with the record held instead (so pending writes stay). A change's clock more than
   * `maxClockDriftMs` (by default and at most `DEFAULT_MAX_CLOCK_DRIFT_MS`) ahead of the
   * wall clock is applied but not adopted: later local writes are not stamped after it.
   */
  applyRemote(
    changes: readonly PulledChange[],
    options: { readonly policy: ConflictPolicy; readonly cursor?: CursorAdvance; readonly maxClockDriftMs?: number },
  ): Promise<ApplyResult>;

  // ---- notes: small facts the engine keeps beside the data (see `replica-notes.ts`) ----
  /** The note `key` (a structured-clonable value), or undefined if never written. */
  readNote(key: string): Promise<unknown>;
  /**
   * Replaces the note `key` with `update(current)`, read and written in one transaction,
   * so two tabs updating it never lose each other's change. `update` must be synchronous.
   */
  updateNote(key: string, update: (current: unknown) => unknown): Promise<void>;
  // ---- identity (the engine's side; keys cross only between the engine and the server) ----
  /** The current identity, its key and write counter, read in one transaction. */
  identity(): Promise<ReplicaIdentity>;
  /**
   * Keeps `key` beside `instanceId` if the key kept for it is still `sent` (the one the
   * handshake sent; undefined: none), and returns the key kept now: `key`, or the one
   * another tab kept first (whose handshake raced this one), for this tab to use too.
   * Does nothing and returns undefined if the replica has since taken another id.
   */
  saveInstanceKey(instanceId: InstanceId, key: InstanceKey, sent: InstanceKey | undefined): Promise<InstanceKey | undefined>;
  /**
   * The server refused `retired` (`INSTANCE_FORBIDDEN`, `INSTANCE_CLONED`): in one
   * transaction, take a new instance id with no key, renumber the pending changes from
   * seq 1 under it (every one kept, in order) and drop every cursor, so the feed is
   * pulled again from 0 (rows written under the old id were hidden from this replica as
   * its echo). Returns the new id; if the replica no longer holds `retired` (another tab
   * renewed first), changes nothing and returns the current one.
   */
  startNewIdentity(retired: InstanceId): Promise<InstanceId>;
  /**
   * A client reset (the server refused the pull cursor of `peer` for `cause`): forgets
   * that cursor and its mark, so the next pull starts from 0 and is a snapshot (see
   * `pull-snapshot.ts`), whose last page reports `cause` in `ApplyResult.reset`. Pending
   * changes stay as they are, receipts and all.
   */
  resetPull(peer: string, cause: SnapshotCause): Promise<void>;

  // ---- lifecycle ----
  /** Listens to changes committed through this store object. Returns an unsubscribe. */
  subscribe(listener: (event: ChangeEvent) => void): () => void;
  /** Closes the database; later calls fail with `DATABASE_CLOSED`. */
  close(): void;
}
