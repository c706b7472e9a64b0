/**
 * The server's memory of its answers, per instance id. A push whose answer is lost is
 * sent again, and the server acknowledges the changes it applied before without
 * dealing with them again (their seqs are at or below the applied seq). Without this
 * memory that second answer said nothing of what the first one carried: a change the
 * first refused (`FORBIDDEN`, `INVALID`, a server-wins `CONFLICT`) read as accepted in
 * its receipt, no `conflict` event fired and no resolver was asked.
 *
 * So the server keeps, with the instance record (`InstanceRecord.answers`, written in
 * the push's transaction), the seqs it refused or answered with a conflict, each with
 * its reason, message and conflict policy; a re-sent change at one of those seqs gets
 * the same refusal and conflict again. A conflict is kept without the server's record:
 * the replay carries the record as it is now (a record the server committed, at least
 * as new as the first answer's), so the memory stays small whatever the values weigh.
 *
 * Bounds, so that an instance record stays a short row read once per push:
 * - by progress: a push starting at seq `s` shows that its replica heard the answers of
 *   every seq below `s` (it sends its log from the oldest change not yet acknowledged,
 *   and keeps refusals before it trims), so the answers below `s` are dropped;
 * - by count: at most {@link MAX_KEPT_ANSWERS}, the latest seqs kept, each message cut
 *   to {@link MAX_KEPT_MESSAGE} characters. A replica whose lost answers held more
 *   refusals and conflicts than that (half a default batch of 500) hears only the
 *   latest again. So a row holds at most about 90 KB of answers, and nothing (`[]`) for
 *   an instance whose recent changes were all accepted, the common case.
 * Nothing is kept by age: the memory of an instance that stops pushing is one row that
 * its next push (if any) trims.
 */
import type { ConflictPolicy, PushRequest, RejectedChange, RejectReason, ServerConflict } from '../protocol/types.ts';
import type { Access } from './access.ts';
import { answerBytes, toPulledChange } from './apply-push.ts';
import { recordKey, type ServerStoreTransaction } from './types.ts';

/** Most answers an instance keeps. */
export const MAX_KEPT_ANSWERS = 256;
/** Most characters of a refusal's message kept. */
export const MAX_KEPT_MESSAGE = 300;

/**
 * One change's answer, kept: its seq, the refusal (reason and message; null when the
 * change was not refused: a last-write-wins change the server's record beat) and the
 * policy of its conflict (null: no conflict).
 */
export type KeptAnswer = readonly [seq: number, reason: RejectReason | null, message: string | null, conflict: ConflictPolicy | null];

/** What a re-sent push is told again. */
export interface ReplayedAnswers {
  readonly rejected: RejectedChange[];
  readonly conflicts: ServerConflict[];
  /** The bytes of the conflicts' records, as the answer's byte bound counts them. */
  bytes: number;
}

/**
 * The refusals and conflicts the server first answered for the changes of `request` at
 * or below `applied` (re-sent), as `kept` remembers them. A conflict's record is read
 * now; an `access` that may not read its collective gets null, as the first answer did.
 */
export async function replayAnswers(
  tx: ServerStoreTransaction,
  request: PushRequest,
  applied: number,
  kept: readonly KeptAnswer[] | undefined,
  access: Access | undefined,
): Promise<ReplayedAnswers> {
  const replayed: ReplayedAnswers = { rejected: [], conflicts: [], bytes: 0 };
  if (kept === undefined || kept.length === 0) return replayed;
  const bySeq = new Map(kept.map((answer) => [answer[0], answer]));
  const resent = request.changes.filter((change) => change.seq <= applied && bySeq.has(change.seq));
  if (resent.length === 0) return replayed;
  const rows = await tx.getRecords(resent.map(({ collective, id }) => ({ collective, id })));
  for (const change of resent) {
    const [seq, reason, message, policy] = bySeq.get(change.seq) as KeptAnswer;
    const { collective, id } = change;
    if (reason !== null) replayed.rejected.push({ seq, collective, id, reason, message: message ?? '' });
    if (policy === null) continue;
    const row = rows.get(recordKey(collective, id));
    // Even the replica's own later write (of the same push, say): what stands instead of the change.
    const server = access !== undefined && !access.canRead(collective) ? undefined : row;
    if (server !== undefined) replayed.bytes += answerBytes(server);
    replayed.conflicts.push({ seq, collective, id, policy, server: server === undefined ? null : toPulledChange(server, policy === 'field-last-write-wins', request.instanceId) });
  }
  return replayed;
}

/**
 * `kept` with the refusals and conflicts of a push's new changes (above `applied`)
 * added, and trimmed: nothing below the push's first seq, at most
 * {@link MAX_KEPT_ANSWERS}.
 */
export function rememberAnswers(
  kept: readonly KeptAnswer[] | undefined,
  request: PushRequest,
  applied: number,
  rejected: readonly RejectedChange[],
  conflicts: readonly ServerConflict[],
): KeptAnswer[] {
  const from = request.changes[0]?.seq ?? 0;
  const bySeq = new Map<number, KeptAnswer>((kept ?? []).filter(([seq]) => seq >= from).map((answer) => [answer[0], answer]));
  const policies = new Map(conflicts.map((conflict) => [conflict.seq, conflict.policy]));
  const refusals = new Map(rejected.map((refusal) => [refusal.seq, refusal]));
  for (const seq of new Set([...refusals.keys(), ...policies.keys()])) {
    if (seq <= applied) continue; // a replay: kept already
    const refusal = refusals.get(seq);
    bySeq.set(seq, [seq, refusal?.reason ?? null, refusal === undefined ? null : refusal.message.slice(0, MAX_KEPT_MESSAGE), policies.get(seq) ?? null]);
  }
  return [...bySeq.values()].sort((a, b) => a[0] - b[0]).slice(-MAX_KEPT_ANSWERS);
}
