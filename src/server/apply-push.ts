/**
 * Applying a push: the server's write rules, once for every store. Runs in one store
 * transaction (its own, or that of a group of pushes: see `push-groups.ts`), so a push
 * is written whole or not at all, and the source's applied seq commits with its writes
 * (a batch re-sent after a lost response is acknowledged, not applied again).
 */
import { recordState } from '../protocol/record-state.ts';
import type { InstanceId, PulledChange, PushedChange, PushRequest, PushResponse, RejectedChange, ServerConflict, SyncChange } from '../protocol/types.ts';
import { compareWrites } from '../protocol/write-order.ts';
import { fieldVerdict, settleFieldChange } from './field-push.ts';
import { isFullAccess, type Access } from './access.ts';
import { rememberAnswers, replayAnswers, type KeptAnswer } from './instance-answers.ts';
import { markFor, overruledBy, withMarks } from './overruled-writes.ts';
import { clockTooFarAhead, type PushBounds } from './push-bounds.ts';
import { isStorableText } from './storable-text.ts';
import { StoredPut } from './stored-json.ts';
import { feedRowBytes, fieldsJsonBytes, overJsonBytes, utf8Bytes } from './stores/change-page.ts';
import { readsAhead } from './stores/read-ahead.ts';
import { turnBudget, type TurnBudget } from './turn-budget.ts';
import { recordKey, type InstanceRecord, type ServerRecord, type ServerRecordWrite, type ServerStore, type ServerStoreTransaction } from './types.ts';

/**
 * The instance rules' part of a push (see `instance-binding.ts`): called in its
 * transaction before anything is written, it refuses the push by throwing, or admits it.
 */
export type AdmitPush = (tx: ServerStoreTransaction, applied: number) => Promise<Admission>;

/** What the instance rules give an admitted push. */
export interface Admission {
  /** The instance record to keep with the push, its answers added (undefined: nothing new to keep). */
  readonly keep: InstanceRecord | undefined;
  /** The answers kept from this instance's earlier pushes, told again to re-sent changes (`instance-answers.ts`). */
  readonly answers: readonly KeptAnswer[] | undefined;
}

/**
 * A server row as the wire carries it. Picked field by field, not passed as it stands:
 * a store (perhaps not ours) may hand back rows with more fields, and clients refuse
 * a pulled change with unknown ones.
 */
export function toPulledChange(row: ServerRecord, withFields: boolean, puller?: InstanceId): PulledChange {
  // A stored value stays text, to be spliced into the answer (see `stored-json.ts`); it has the fields of a change, no more.
  if (row instanceof StoredPut) return row;
  const over = markFor(row, puller);
  const change: PulledChange = { collective: row.collective, id: row.id, hlc: row.hlc, source: row.source, version: row.version, ...recordState(row), ...(over === undefined ? {} : { over }) };
  // Stamps only to a replica that keeps them (see `PulledChange.fields`).
  return !withFields || row.fields === undefined ? change : { ...change, fields: row.fields };
}

/** The row a change writes over `replaced`: without its `seq` and `baseVersion`, with the writes it overruled unseen. */
function toWrite(change: SyncChange, replaced: ServerRecord | undefined): ServerRecordWrite {
  return withMarks({ collective: change.collective, id: change.id, hlc: change.hlc, source: change.source, ...recordState(change) }, overruledBy(change, replaced));
}

/** Last-write-wins order: the later HLC, ties broken by instance id. */
function isLater(change: PushedChange, row: ServerRecord): boolean {
  return compareWrites(change, row) > 0;
}

/**
 * Why a valid change still cannot be stored (see `storable-text.ts`), or undefined.
 * Refusing the change alone, not the push, keeps one bad write from blocking its
 * replica's log.
 */
function unstorable(change: PushedChange): string | undefined {
  for (const field of ['collective', 'id', 'hlc'] as const) {
    if (!isStorableText(change[field])) return `${field} contains a NUL character or a lone UTF-16 surrogate`;
  }
  return undefined;
}

/**
 * Changes dealt with per step of a push. Between steps the push yields to the event loop
 * once its work has held it for a while (see `turn-budget.ts`), so a push of 10,000
 * changes (hundreds of milliseconds of store work) does not hold it all that time
 * (issue 11, finding 3); each step also holds at most this many current records in memory.
 */
export const PUSH_STEP = 128;

/**
 * What the rules say about one change meeting the record's current row. `merged`: a
 * field-level change written, and told in the answer too (it met writes it had not seen).
 */
export type Verdict = 'write' | 'stale' | 'lost' | 'same' | 'merged';

function judge(request: PushRequest, change: PushedChange, row: ServerRecord | undefined): Verdict {
  if (row === undefined) return 'write';
  if (request.policy === 'server-wins') {
    // Optimistic concurrency: somebody else wrote the record after the version this
    // change was based on. The source's own earlier writes never make it stale.
    const stale = row.source !== change.source && (change.baseVersion === null || row.version > change.baseVersion);
    return stale ? 'stale' : 'write';
  }
  if (row.hlc === change.hlc && row.source === change.source) return 'same';
  return isLater(change, row) ? 'write' : 'lost';
}

/** Changes the rules refused before looking at the store, and those left to judge. */
function screen(request: PushRequest, applied: number, access: Access | undefined, bounds: PushBounds): { rejected: RejectedChange[]; candidates: PushedChange[] } {
  const rejected: RejectedChange[] = [];
  const candidates: PushedChange[] = [];
  const nowMs = bounds.now();
  for (const [index, change] of request.changes.entries()) {
    if (change.seq <= applied) continue; // applied before: a re-sent batch
    const invalid = unstorable(change) ?? clockTooFarAhead(change, index, nowMs, bounds);
    if (invalid !== undefined) {
      rejected.push({ seq: change.seq, collective: change.collective, id: change.id, reason: 'INVALID', message: invalid });
    } else if (access !== undefined && !access.canWrite(change.collective)) {
      rejected.push({
        seq: change.seq,
        collective: change.collective,
        id: change.id,
        reason: 'FORBIDDEN',
        message: `${access.userId} may not write to collective "${change.collective}"`,
      });
    } else {
      candidates.push(change);
    }
  }
  return { rejected, candidates };
}

/** The bytes a server record takes in an answer. */
export function answerBytes(row: ServerRecord): number {
  return feedRowBytes(row, (row.op === 'put' ? utf8Bytes(StoredPut.textOf(row) ?? JSON.stringify(row.value)) : 0) + fieldsJsonBytes(row.fields) + overJsonBytes(row.over));
}

/** What a push did inside its transaction: its answer but for `newCursor`, and the highest version it wrote. */
export interface AppliedPush {
  readonly answer: Omit<PushResponse, 'newCursor'>;
  /** 0 when it wrote nothing. */
  readonly highestWritten: number;
}

/**
 * The `newCursor` of a push's answer: the latest version of the store, read after the
 * push committed, for a caller with full access; the latest version it wrote itself for
 * any other, since the latest version counts every user's writes.
 */
export function pushCursor(access: Access | undefined, applied: AppliedPush, latest: number): number {
  return isFullAccess(access) ? latest : applied.highestWritten;
}

/**
 * Applies a validated push request for `access` (undefined: full access), once `admit`
 * lets it, in its own store transaction (see {@link applyPushIn} for the rules).
 */
export async function applyPush(
  store: ServerStore,
  request: PushRequest,
  access: Access | undefined,
  bounds: PushBounds,
  admit?: AdmitPush,
): Promise<PushResponse> {
  const full = isFullAccess(access);
  /** The latest version as the transaction ended, where the store says so without a read (see `stores/read-ahead.ts`). */
  let latestAtCommit: number | undefined;
  const applied = await store.transaction(async (tx) => {
    const done = await applyPushIn(tx, request, access, bounds, admit);
    if (full && readsAhead(tx)) latestAtCommit = await tx.latestVersion();
    return done;
  });
  const latest = full ? (latestAtCommit ?? (await store.latestVersion())) : 0;
  return { ...applied.answer, newCursor: pushCursor(access, applied, latest) };
}

/**
 * Applies a validated push request for `access` (undefined: full access) inside `tx`,
 * once `admit` lets it; the caller commits.
 * - Changes at or below the source's applied seq were applied before: acknowledged only.
 * - Changes the caller may not write are refused `FORBIDDEN`, those no store can keep
 *   or whose clock runs too far ahead `INVALID`; nothing of them is stored.
 * - server-wins: a stale change is refused `CONFLICT`, the server's record in `conflicts`.
 * - last-write-wins: a change older than the server's record is reported in
 *   `conflicts` only (dealt with: the server's record stands); one written over a
 *   state its writer had not seen marks that state's write (`overruled-writes.ts`).
 * - When the conflicts' records would pass `bounds.maxAnswerBytes`, the push is dealt
 *   with up to the change before, and acknowledged that far.
 * Nothing is written before `admit` returns, so a push it refuses leaves `tx` as it found it.
 * Between steps it yields when `budget` says so (a group's pushes share one).
 */
export async function applyPushIn(
  tx: ServerStoreTransaction,
  request: PushRequest,
  access: Access | undefined,
  bounds: PushBounds,
  admit?: AdmitPush,
  budget: TurnBudget = turnBudget(),
): Promise<AppliedPush> {
  const seqKey = appliedSeqKey(request.instanceId, access);
  let highestWritten = 0;
  const applied = await tx.getAppliedSeq(seqKey);
  // When the answer's bound stops the push early, the record still names the request's
  // last seq and fingerprints: harmless, since the changes after the stop are sent
  // again above the applied seq, where fingerprints are not compared.
  const admission = await admit?.(tx, applied);
  const { rejected, candidates } = screen(request, applied, access, bounds);
  // A re-sent change is told again what it was told first.
  const replayed = await replayAnswers(tx, request, applied, admission?.answers, access);
  rejected.push(...replayed.rejected);
  const conflicts: ServerConflict[] = replayed.conflicts;
  /**
   * The conflicts of field-level changes merged into their record, by record: their
   * `server` is the record as this push wrote it (with its version), not as the change
   * found it. A replica merges it whether or not it still holds the change itself:
   * another tab's push of the same change may have been acknowledged first, and an
   * acknowledged delete leaves no tombstone; the record as found would bring back what
   * the change removed (chaos seed 41 of field-last-write-wins).
   */
  const mergedConflicts = new Map<string, number[]>();
  const fieldLevel = request.policy === 'field-last-write-wins';
  const writes = new Map<string, ServerRecordWrite>();
  let accepted = 0;
  let conflictBytes = replayed.bytes;
  /** The first change not dealt with, when the answer's byte bound stopped the push. */
  let stoppedAt: number | undefined;
  let current = new Map<string, ServerRecord>();
  for (const [i, change] of candidates.entries()) {
    if (i % PUSH_STEP === 0) {
      if (i > 0) await budget.pause();
      const step = candidates.slice(i, i + PUSH_STEP);
      current = await tx.getRecords(step.map(({ collective, id }) => ({ collective, id })));
    }
    const key = recordKey(change.collective, change.id);
    // Field-level records merge instead (see field-push.ts), with what this batch wrote too.
    const field = fieldLevel ? settleFieldChange(current.get(key), writes.get(key), change, bounds) : undefined;
    if (field?.refused !== undefined) {
      rejected.push({ seq: change.seq, collective: change.collective, id: change.id, reason: 'INVALID', message: field.refused });
      continue;
    }
    // A record written earlier in this batch was written by this same source with a
    // lower seq (and an earlier HLC): the later change replaces it. (Patches come only
    // with a field verdict, the schema sees to it: hence the cast.)
    const verdict = field !== undefined ? fieldVerdict(field) : writes.has(key) ? 'write' : judge(request, change, current.get(key));
    if (verdict === 'write') {
      writes.delete(key);
      writes.set(key, field?.write ?? toWrite(change as SyncChange, current.get(key)));
      accepted++;
    } else if (verdict !== 'same') {
      const found = current.get(key) as ServerRecord;
      // A field-level change merged in: the answer bears the record as written (see below).
      const server: ServerRecord = verdict === 'merged' && field?.write !== undefined ? { ...field.write, version: found.version } : found;
      // A caller that may write a collective but not read it (an inbox) learns nothing of what it holds.
      const visible = access === undefined || access.canRead(change.collective);
      const bytes = visible ? answerBytes(server) : 0;
      if (conflicts.length > 0 && conflictBytes + bytes > bounds.maxAnswerBytes) {
        stoppedAt = change.seq;
        break;
      }
      conflictBytes += bytes;
      conflicts.push({ seq: change.seq, collective: change.collective, id: change.id, policy: request.policy, server: visible ? toPulledChange(server, fieldLevel, request.instanceId) : null });
      if (verdict === 'stale') {
        rejected.push({
          seq: change.seq,
          collective: change.collective,
          id: change.id,
          reason: 'CONFLICT',
          message: `the record is at ${visible ? `version ${server.version}` : 'a later version'}, written by another replica after the version this change was based on (${change.baseVersion ?? 'none'})`,
        });
      }
      if (verdict === 'merged' && field?.write !== undefined) {
        writes.delete(key);
        writes.set(key, field.write);
        accepted++;
        if (visible) mergedConflicts.set(key, [...(mergedConflicts.get(key) ?? []), conflicts.length - 1]);
      }
    }
  }
  const rows = [...writes.values()];
  for (let i = 0; i < rows.length; i += PUSH_STEP) {
    if (i > 0) await budget.pause();
    const written = await tx.writeRecords(rows.slice(i, i + PUSH_STEP));
    highestWritten = written.reduce((most, row) => Math.max(most, row.version), highestWritten);
    for (const row of written) {
      for (const at of mergedConflicts.get(recordKey(row.collective, row.id)) ?? []) conflicts[at] = { ...(conflicts[at] as ServerConflict), server: toPulledChange(row, true) };
    }
  }
  const dealtWith = stoppedAt === undefined ? request.changes : request.changes.filter((change) => change.seq < stoppedAt);
  const lastSeq = dealtWith[dealtWith.length - 1]?.seq ?? 0;
  if (lastSeq > applied) await tx.setAppliedSeq(seqKey, lastSeq);
  const answered = stoppedAt === undefined ? rejected : rejected.filter((change) => change.seq < stoppedAt);
  answered.sort((a, b) => a.seq - b.seq);
  const keep = admission?.keep;
  if (keep !== undefined) await tx.putInstance({ ...keep, answers: rememberAnswers(keep.answers, request, applied, answered, conflicts) });
  return { answer: { accepted, ackedSeq: Math.max(applied, lastSeq), rejected: answered, conflicts }, highestWritten };
}

/**
 * Where a source's applied seq is kept: per caller as well as per instance. Instance
 * ids are not secret (every pulled change names its writer), so with several users a
 * caller pushing under someone else's id must not move that replica's counter, which
 * would make the server acknowledge, and the replica drop, its next writes unapplied.
 * In-process calls (no access) key by the instance alone.
 */
export function appliedSeqKey(instanceId: string, access: Access | undefined): string {
  return access === undefined ? instanceId : `${encodeURIComponent(access.userId)}/${instanceId}`;
}
