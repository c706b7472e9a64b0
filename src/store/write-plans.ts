/**
 * What each write of a replica does to its records, change log and counters, decided
 * over plain values: the IndexedDB replica runs these inside its transactions, the
 * memory replica over its maps, so both keep the same rules (one timestamp and
 * consecutive seqs per local write, echo prevention, last-write-wins against pending
 * changes, the pull cursor checked and moved with its batch).
 */
import { DEFAULT_MAX_CLOCK_DRIFT_MS, HybridClock, isWithinDrift } from '../clock/hlc.ts';
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { recordKey } from '../protocol/record-key.ts';
import { recordState } from '../protocol/record-state.ts';
import type { ConflictPolicy, InstanceId, PulledChange, PushedChange, RecordKey, RecordState } from '../protocol/types.ts';
import { appendSyncChanges, basesAbove, pendingByRecord } from './change-log.ts';
import { INITIAL_WRITE_STATE, type LogEntry, type LoggedChange, type ReplicaRecord, type WriteState } from './schema.ts';
import type { ChangeEvent, CursorAdvance, LocalConflict, RecordEntry } from './types.ts';

/** A record as the app sees it; undefined for a tombstone or nothing. */
export function toRecordEntry(record: ReplicaRecord | undefined): RecordEntry | undefined {
  if (record === undefined || record.op === 'delete') return undefined;
  // Field stamps and history stay in the replica: the app sees the value, its writer and clock.
  const { op, fields, history, ...entry } = record;
  return entry;
}

/** One change as a change event carries it: its key and state, nothing else. */
export function eventChange(change: RecordKey & RecordState): ChangeEvent['changes'][number] {
  return { collective: change.collective, id: change.id, ...recordState(change) };
}

/** What one local write transaction puts. */
export interface LocalWritePlan {
  readonly records: readonly ReplicaRecord[];
  readonly entry: LogEntry;
  readonly state: WriteState;
  /** The entry's changes in wire form, as `write()` returns them. */
  readonly logged: PushedChange[];
}

/**
 * One local write: tick the clock once from the stored write state, number the changes
 * after the last seq, and base the entry on the pull cursor unless `baseVersion` says
 * otherwise. Records, entry and state must then be written together.
 */
export function planLocalWrite(input: {
  readonly changes: readonly LoggedChange[];
  readonly state: WriteState | undefined;
  readonly instanceId: InstanceId;
  readonly now: () => number;
  readonly baseVersion?: number | undefined;
}): LocalWritePlan {
  const { changes, instanceId } = input;
  const state = input.state ?? INITIAL_WRITE_STATE;
  const hlc = new HybridClock({ node: instanceId, now: input.now, last: state.hlc }).tick();
  const firstSeq = state.seq + 1;
  // A patch is a change of `fields` only, which plan their own (replica-fields.ts).
  const records = changes.map((change) => ({ ...change, hlc, source: instanceId }) as ReplicaRecord);
  const entry: LogEntry = { seq: firstSeq, hlc, baseVersion: input.baseVersion ?? state.basis, changes };
  const logged: PushedChange[] = [];
  appendSyncChanges(logged, entry, instanceId, changes.length);
  return { records, entry, state: { seq: firstSeq + changes.length - 1, hlc, basis: state.basis }, logged };
}

/** What applying remote changes writes: these records, and the write state if it moved. */
export interface RemotePlan {
  /** The changes now in the replica; each is the record to write (a pulled change is a {@link ReplicaRecord}). */
  readonly written: PulledChange[];
  readonly conflicts: LocalConflict[];
  /** The new write state, or undefined when it did not change. */
  readonly state: WriteState | undefined;
}

/** How far ahead of the wall clock a pulled clock may be and still be adopted (issue 11). */
export interface ClockBound {
  readonly nowMs: number;
  readonly maxDriftMs: number;
}

/**
 * The bound for one apply: `maxClockDriftMs` if given, never wider than the default,
 * since local writes restore the clock with the default bound.
 */
export function clockBound(maxClockDriftMs: number | undefined, nowMs: number): ClockBound {
  return { nowMs, maxDriftMs: Math.min(maxClockDriftMs ?? DEFAULT_MAX_CLOCK_DRIFT_MS, DEFAULT_MAX_CLOCK_DRIFT_MS) };
}

/** The clock to keep after seeing `hlc`: a clock beyond the bound is not adopted, though its change still applies. */
function adopt(maxHlc: string, hlc: string, bound: ClockBound): string {
  return hlc > maxHlc && isWithinDrift(hlc, bound.nowMs, bound.maxDriftMs) ? hlc : maxHlc;
}

/**
 * A feed batch pulled from `cursor.from`. Fails `CONFLICT`, before anything is decided,
 * when the stored cursor is elsewhere (another tab applied this batch, or a frozen
 * leader woke up late). No per-record reads: only records with a pending local change
 * (from `entries`, the whole small log) need a decision. The caller writes the
 * records, the state and the cursor `cursor.to` together.
 */
export function planFeedBatch(input: {
  readonly changes: readonly PulledChange[];
  readonly policy: ConflictPolicy;
  readonly cursor: CursorAdvance;
  readonly storedCursor: number | undefined;
  /** The stored push cursor of `cursor.peer` (see `CursorAdvance.acked`). */
  readonly storedAcked: number | undefined;
  readonly state: WriteState | undefined;
  readonly entries: readonly LogEntry[];
  readonly clock: ClockBound;
  /** The stored record of each change that carries an `over` mark (`held[i]` of `changes[i]`; others may be absent). */
  readonly held?: readonly (ReplicaRecord | undefined)[] | undefined;
}): RemotePlan & { readonly state: WriteState } {
  const { changes, policy, cursor, entries } = input;
  const current = input.storedCursor ?? 0;
  // A push acknowledged since the pull was asked: the answer may have left the server
  // before the push arrived, so it can hold a record's state older than the pushed
  // write, and nothing here says so any more (the acknowledgement dropped the write's
  // log entry, the server-wins base and last-write-wins clock that would have kept it),
  // and the server never sends the replica its own write back. An acknowledgement read
  // before the pull was asked came after the push was stored, so that answer has it.
  // The re-asks this makes (`pullBatches` in `engine/pull.ts`) have no count, and need
  // none: one manager runs its pushes and pulls one at a time (its RunQueue), and
  // re-reads both cursors before asking again, so each refusal means another manager on
  // this database (a second leader, past its term) committed in between: an
  // acknowledgement or a batch, progress of the replica either way, and at most one per
  // request of that manager, which is bounded. The run ends once that manager stops
  // committing between its read and its apply, or this one is stopped (`checkpoint`).
  const acked = input.storedAcked ?? 0;
  if (current !== cursor.from || (cursor.acked ?? acked) !== acked) {
    throw new SyncError(
      ErrorCode.CONFLICT,
      // No details: the message names them, and the engine only retries (bytes of the default worker).
      `Stale pull of "${cursor.peer}" from ${cursor.from}: the cursor is ${current} (another tab?) or a push was acked since; pull again`,
    );
  }
  const pending = policy !== 'last-write-wins' ? undefined : pendingByRecord(entries);
  // server-wins: a pending write based on this change's version or later (a
  // conflict's resolution, made knowing the server's record) stands; the server
  // takes it unless the record moved past that version, which the feed would bring.
  const based = policy !== 'server-wins' ? undefined : basesAbove(entries, cursor.from);
  const written: PulledChange[] = [];
  const conflicts: LocalConflict[] = [];
  const base = input.state ?? INITIAL_WRITE_STATE;
  let maxHlc = base.hlc;
  changes.forEach((change, i) => {
    maxHlc = adopt(maxHlc, change.hlc, input.clock);
    const key = recordKey(change.collective, change.id);
    if ((based?.get(key) ?? -1) >= change.version) return;
    const mine = pending?.get(key);
    const held = input.held?.[i];
    // Else a pushed write of this replica, still held, that the change overruled unseen
    // (its mark names this replica's write: see `PulledChange.over`), and so is earlier.
    // Told once: the change replaces it now, so the mark matches nothing on a later pull.
    // Only under last-write-wins (`pending` is its map): under server-wins the server's
    // row stands whatever the clocks, so the change is written (chaos seeds 3391, 4168).
    const local = mine ?? (pending !== undefined && held?.hlc === change.over ? held : undefined);
    if (local !== undefined) {
      const winner = local.hlc > change.hlc ? 'local' : 'remote';
      conflicts.push({ collective: change.collective, id: change.id, local, remote: change, winner, pushed: !mine });
      if (winner === 'local') return;
    }
    written.push(change);
  });
  return { written, conflicts, state: { seq: base.seq, hlc: maxHlc, basis: cursor.to } };
}

/** Is the server state `incoming` newer than the `held` one under `policy`? (out-of-feed applies) */
function isNewer(policy: ConflictPolicy, incoming: PulledChange, held: ReplicaRecord | undefined): boolean {
  if (held === undefined) return true;
  if (policy === 'server-wins') return held.version === undefined || incoming.version > held.version;
  return incoming.hlc > held.hlc;
}

/**
 * Server states learnt outside the feed (a push's conflicts): each is written only if
 * newer than what the replica holds (`held[i]` is the stored record of `changes[i]`,
 * read before). The pull cursor does not move.
 */
export function planServerStates(input: {
  readonly changes: readonly PulledChange[];
  readonly policy: ConflictPolicy;
  readonly held: readonly (ReplicaRecord | undefined)[];
  readonly state: WriteState | undefined;
  readonly clock: ClockBound;
}): RemotePlan & { readonly state: WriteState } {
  const { changes, policy } = input;
  const current = new Map<string, ReplicaRecord | undefined>();
  const base = input.state ?? INITIAL_WRITE_STATE;
  let maxHlc = base.hlc;
  const written: PulledChange[] = [];
  changes.forEach((change, i) => {
    maxHlc = adopt(maxHlc, change.hlc, input.clock);
    const key = recordKey(change.collective, change.id);
    // A record met again is met as the earlier change left it.
    if (!current.has(key)) current.set(key, input.held[i]);
    if (!isNewer(policy, change, current.get(key))) return;
    current.set(key, change);
    written.push(change);
  });
  // The state even when its clock did not move: written again as it is, it saves the default worker a test.
  return { written, conflicts: [], state: { ...base, hlc: maxHlc } };
}
