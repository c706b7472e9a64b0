/**
 * The wire types of pulsesync's sync protocol. Every message here is validated on
 * arrival on both sides (see `validate.ts`); these are the shapes after validation.
 */
import type { Hlc } from '../clock/hlc.ts';
import type { SyncErrorData } from './errors.ts';
import type { FieldStamp, PatchState } from './field-types.ts';

/** Bumped on any incompatible change to a message below; checked at handshake. */
export const PROTOCOL_VERSION = 1;

/** A replica's identity: a UUID v7 string, made on first open and kept. */
export type InstanceId = string;

/** A position in the server's change feed: the last server version a client has. */
export type SyncCursor = number;

/** A JSON value, the only kind of value a record holds. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A record's state: a put carries its value, a delete none. Every record shape (the
 * wire's changes, the replica's records and log, the server's rows, change events) is
 * this plus its own fields, so a conversion between them is a spread. On the wire
 * `op` and `value` sit flat beside the other fields, as they always have.
 */
export type RecordState =
  | { readonly op: 'put'; readonly value: JsonValue }
  // `value?: never`: a delete has none, yet `state.value` reads (as undefined) without
  // narrowing first, as it did before the union.
  | { readonly op: 'delete'; readonly value?: never };

/** What a change does to its record. */
export type ChangeOp = RecordState['op'];

/** Which record: the key every record shape carries. */
export interface RecordKey {
  readonly collective: string;
  readonly id: string;
}

/**
 * Conflict policies. `field-last-write-wins` settles each field on its own (see
 * `field-merge.ts`): concurrent changes to different fields of one record both
 * survive, and the same field goes by {@link WriteStamp} order as `last-write-wins` does.
 */
export type ConflictPolicy = 'last-write-wins' | 'server-wins' | 'field-last-write-wins';

/**
 * One change to one record, as a replica pushes it.
 *
 * `seq` numbers every change a replica makes, 1, 2, 3…, with no gaps; the server keeps
 * the highest it applied per source so a re-sent change is never applied twice.
 */
export type SyncChange = RecordKey &
  RecordState & {
    /** Local sequence of the change on its source replica. */
    readonly seq: number;
    /** The replica that made the change. */
    readonly source: InstanceId;
    /** When the change was made, on its source's hybrid logical clock. */
    readonly hlc: Hlc;
    /**
     * The server version the source had caught up to when it made the change (its pull
     * cursor then), or `null` if it had never pulled. Under `server-wins` a change whose
     * record has since been written by somebody else is stale and is rejected.
     */
    readonly baseVersion: number | null;
  };

/**
 * A patch as a replica pushes it: the fields of {@link SyncChange} with a
 * {@link PatchState} for a state. Only under `field-last-write-wins`.
 */
export type PatchChange = RecordKey & PatchState & Omit<SyncChange, keyof RecordKey | 'op' | 'value'>;

/** Any change a push carries: a whole record's ({@link SyncChange}) or a patch. */
export type PushedChange = SyncChange | PatchChange;

/** A change as the server feeds it: the record's latest state and its server version. */
export type PulledChange = RecordKey &
  RecordState & {
    /** When this state was written; for a field-level record, its latest stamp's clock. */
    readonly hlc: Hlc;
    /**
     * The replica that wrote this state. A field-level record written by several names
     * the nil UUID (`SEVERAL_WRITERS` in `field-merge.ts`); its stamps name each writer.
     */
    readonly source: InstanceId;
    /** Server sequence of the write; increases on every accepted write. */
    readonly version: number;
    /**
     * Under `field-last-write-wins`: a stamp per written path, in path order. Absent on
     * records written whole (then the record is one write of every field), and sent only
     * to a replica that asks for them: a pull with {@link PullRequest.fields}, a push
     * under `field-last-write-wins`. A replica on whole-record writes reads a field-level
     * record as its value, as any other.
     */
    readonly fields?: readonly FieldStamp[];
    /**
     * Under `last-write-wins`, on a record written whole: the clock of the puller's own
     * pushed write that this state (or one before it) overruled without having seen it
     * (its writer's base version was below that write's). The replica that still holds
     * that write lost a conflict, and reports it once (`conflict` event): the state it
     * then takes no longer carries that clock. Sent only to the replica it names (in a
     * pull, and in a push's `conflicts`), so the default worker parses one clock, not a
     * list. The server keeps every such mark of the record (see `ServerRecordWrite.over`).
     * (A client from before this field refuses a pulled change that carries one, as it
     * refuses any unknown field of a pulled change: only a replica that lost such a
     * conflict is ever sent one.)
     */
    readonly over?: Hlc;
  };

/**
 * Named optional features; both sides announce theirs at handshake. `instance-key`: the
 * server binds instance ids to their writers and issues {@link InstanceKey}s.
 * `field-last-write-wins`: the server takes patches and keeps field-level records.
 * `cursor-expiry`: the server removes tombstones older than its horizon; see
 * {@link PullRequest.snapshotMark} for what a client does about it.
 */
export type Capability = 'live' | 'total' | 'server-wins' | 'instance-key' | 'field-last-write-wins' | 'cursor-expiry';

/**
 * A secret the server issues for one instance id and one identity at handshake
 * (`HandshakeResponse.instanceKey`): proof that a request comes from the replica that
 * holds the id, which matters when several replicas share one identity (one token).
 *
 * What a client does with it:
 * - Keep it beside its instance id, in the same store, and drop it only with that id.
 * - Send it back at every handshake and with every push and pull under that id. The
 *   first push that carries it binds the id to it; from then on the server refuses
 *   (`INSTANCE_FORBIDDEN`) any request under the id without it.
 * - Handshake again before pushing when it holds none.
 * - On `INSTANCE_FORBIDDEN` or `INSTANCE_CLONED`: start a fresh identity (a new
 *   instance id, no key; the next handshake issues one), renumber the pending writes
 *   from seq 1 under the new id and keep them, and pull this server from cursor 0 (rows
 *   written under the old id were hidden from it as its own echo).
 */
export type InstanceKey = string;

export interface HandshakeRequest {
  readonly instanceId: InstanceId;
  readonly protocolVersion: number;
  readonly capabilities: readonly string[];
  /** The key this replica holds for `instanceId`, if it has one (see {@link InstanceKey}). */
  readonly instanceKey?: InstanceKey;
  /**
   * The highest seq this replica ever made (its write counter, not the highest still in
   * its log; 0 if none). A server that applied a higher one from this id answers
   * `INSTANCE_CLONED`: the replica is a restored backup or an older copy.
   */
  readonly lastSeq?: number;
}

export interface HandshakeResponse {
  readonly accepted: boolean;
  /** Why the handshake was refused; present when `accepted` is false. */
  readonly reason?: string;
  readonly protocolVersion: number;
  /** Stable identity of the server's data; cursors are kept per server id. */
  readonly serverId: string;
  readonly capabilities: readonly string[];
  /**
   * The key to send with every request under this instance id: the one the client sent,
   * or a fresh one when it sent none (see {@link InstanceKey}). Absent when the server
   * does not bind instance ids (no `instance-key` capability, or no identity).
   */
  readonly instanceKey?: InstanceKey;
}

export interface PullRequest {
  readonly instanceId: InstanceId;
  /** The replica's {@link InstanceKey}, once it holds one. */
  readonly instanceKey?: InstanceKey;
  /** Last server version the client has; 0 to start from the beginning. */
  readonly cursor: SyncCursor;
  readonly batchSize: number;
  /** Only these collectives; absent for every collective the caller may read. */
  readonly collectives?: readonly string[];
  /** Ask for `total`, the number of changes still to pull including this batch. */
  readonly withTotal?: boolean;
  /**
   * The {@link PullResponse.snapshotMark} of the answer to this replica's last pull from
   * cursor 0, sent with every later pull (only to a server announcing `cursor-expiry`,
   * whose pull schema knows the field).
   *
   * Why: a server that announces `cursor-expiry` removes tombstones older than its
   * horizon, and records the highest version it removed (its gc floor, kept per
   * collective). A replica whose cursor is below that floor may hold a record whose
   * delete it will now never see, so the server refuses its pull `CURSOR_EXPIRED` and
   * the replica runs a client reset: it pulls a fresh snapshot from cursor 0, drops the
   * local records that snapshot does not hold, and pushes its pending writes again.
   * But the pages of that snapshot advance their cursor through old rows, below the
   * floor too. The mark tells the server where the snapshot started: tombstones at or
   * below it were removed before the replica read anything, so they cannot concern it.
   * The server refuses a pull when `cursor > 0` and its floor for the pulled
   * collectives is above both `cursor` and `snapshotMark` (absent: 0), and never a pull
   * from cursor 0. Keep the mark beside the cursor (written with the first page), and
   * replace it only with the answer to the next pull from 0.
   *
   * There is no early warning at handshake: a floor there would have to be the floor
   * of every collective the caller may read, which is not the one its pulls are
   * judged by. The refusal comes at the first pull, before any row is sent.
   */
  readonly snapshotMark?: SyncCursor;
  /**
   * Send field-level records' stamps ({@link PulledChange.fields}): a replica that keeps
   * them asks (under `field-last-write-wins`); without it a field-level record comes as
   * its value alone, as one written whole.
   */
  readonly fields?: boolean;
}

export interface PullResponse {
  readonly changes: readonly PulledChange[];
  readonly hasMore: boolean;
  /**
   * Where the next pull starts; may be past the last change sent (skipped rows). For a
   * restricted caller it only moves over rows of collectives it may read, never to a
   * version that counts other users' writes.
   */
  readonly newCursor: SyncCursor;
  /** Changes remaining from `cursor` on, this batch included; when asked for. */
  readonly total?: number;
  /**
   * In the answer to a pull from cursor 0 by a server announcing `cursor-expiry`: where
   * the snapshot starts, to send back as {@link PullRequest.snapshotMark} with every
   * later pull. Like `newCursor`, for a restricted caller it counts only rows of
   * collectives it may read.
   */
  readonly snapshotMark?: SyncCursor;
  /**
   * In the answer to a restricted caller's pull from cursor 0: the collectives its
   * snapshot covers (those asked for, or all, that it may read). A replica drops at the
   * snapshot's end only records of these: one it may write but not read (an inbox)
   * never sends it even its own rows, and their absence says nothing.
   */
  readonly collectives?: readonly string[];
}

export interface PushRequest {
  readonly instanceId: InstanceId;
  /** The replica's {@link InstanceKey}, once it holds one. */
  readonly instanceKey?: InstanceKey;
  /** How the server settles a change that meets a newer one. */
  readonly policy: ConflictPolicy;
  /** In increasing `seq` order, every one with `source === instanceId`; patches only under `field-last-write-wins`. */
  readonly changes: readonly PushedChange[];
}

/** Why the server refused one change. */
export type RejectReason = 'CONFLICT' | 'FORBIDDEN' | 'INVALID';

export interface RejectedChange {
  readonly seq: number;
  readonly collective: string;
  readonly id: string;
  readonly reason: RejectReason;
  readonly message: string;
}

/**
 * A change that met a newer state on the server, and what the server kept.
 *
 * Under `field-last-write-wins` a change is reported here when it met writes, on the
 * paths it wrote, that its writer had not seen (written after its `baseVersion` by
 * another replica), or when any part of it lost: whether it won or lost each path is
 * in the stamps. `server` is then the record as the server holds it once the change
 * is merged in (as the change found it, when nothing of the change was kept).
 */
export interface ServerConflict {
  readonly seq: number;
  readonly collective: string;
  readonly id: string;
  /** Which rule settled it. */
  readonly policy: ConflictPolicy;
  /** The server's state of the record that won (see above for field-level records); `null` if it has none. */
  readonly server: PulledChange | null;
}

export interface PushResponse {
  /** How many changes of this request were written. */
  readonly accepted: number;
  /**
   * The highest `seq` of this source the server has now dealt with (written, refused or
   * superseded). Everything up to it may leave the client's change log.
   */
  readonly ackedSeq: number;
  readonly rejected: readonly RejectedChange[];
  readonly conflicts: readonly ServerConflict[];
  /**
   * For a caller with full access, the server's latest version after this push; for a
   * restricted caller, the highest version this push wrote (0 if none), so that an
   * answer never counts other users' writes.
   */
  readonly newCursor: SyncCursor;
}

export interface HealthResponse {
  readonly ok: boolean;
  readonly protocolVersion: number;
  readonly serverId: string;
}

/** The error body every 4xx/5xx response carries. */
export interface ErrorResponse {
  readonly error: SyncErrorData;
}

// What a sync engine reports about itself is not a message: status-types.ts.
export type { SyncCursors, SyncProgress, SyncState, SyncStatus } from './status-types.ts';
export type { FieldPatch, FieldStamp, PatchState } from './field-types.ts';
