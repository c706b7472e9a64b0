/**
 * What field-level records (`field-last-write-wins`) do in the replica, decided over
 * plain values as `write-plans.ts` decides the rest: a local patch merges into the
 * record it finds, and a server state merges with the record the replica holds instead
 * of replacing it. The rules are `protocol/field-merge.ts`, the server's own.
 *
 * Why merge on apply, when the server's record already holds everything the server
 * has: the replica's record also holds its own writes the server has not answered yet
 * (pending, or pushed while this batch was on its way), and the merge keeps them
 * whatever the order things arrive in. It costs a read of each record the batch
 * brings, which last-write-wins does without.
 *
 * What this replica lost. A write of this replica that a merge hides lost a conflict
 * when it was still pending (the server had not seen it, so the winner could not have
 * either), or when the winning stamp names it in `over`: the server saw the winner
 * written without knowledge of it (`server/field-push.ts`). A write hidden by one made
 * after seeing it (no `over`) lost nothing: it was edited, not overruled.
 */
import {
  asFieldRecord,
  changeWrites,
  latestStamp,
  mergeFieldRecords,
  recordOfWrites,
  sameFieldRecord,
  stampKey,
  withVersions,
  writerOf,
  writesOfRecord,
  type FieldRecord,
} from '../protocol/field-merge.ts';
import { isPathPrefix, readPath } from '../protocol/field-path.ts';
import { recordKey } from '../protocol/record-key.ts';
import { recordState } from '../protocol/record-state.ts';
import type { FieldStamp, InstanceId, PatchState, PulledChange, RecordKey } from '../protocol/types.ts';
import { compareWrites, type WriteStamp } from '../protocol/write-order.ts';
import type { FieldLoss, RemoteMeeting } from './field-seam.ts';
import { fieldsOf, RULE, withHistory } from './record-history.ts';
import type { LogEntry, ReplicaRecord } from './schema.ts';
import type { LocalConflict } from './types.ts';

/**
 * The record a local patch makes of `held`: merged with the patch's writes, stamped
 * with this write. It carries no server version: this state is the replica's own.
 */
export function patchedRecord(held: ReplicaRecord | undefined, change: RecordKey & PatchState, stamp: WriteStamp): ReplicaRecord {
  const after = mergeFieldRecords(fieldsOf(held), recordOfWrites(changeWrites({ ...change, ...stamp })));
  return { collective: change.collective, id: change.id, ...after, ...stamp };
}

/** `recordKey|hlc` of every change waiting in `entries`: this replica's pending writes. */
function pendingWrites(entries: readonly LogEntry[]): Set<string> {
  const pending = new Set<string>();
  for (const entry of entries) for (const change of entry.changes) pending.add(`${recordKey(change.collective, change.id)}|${entry.hlc}`);
  return pending;
}

/**
 * The writes of `instanceId` in `before` that `after` hides and that lost a conflict
 * (see the file comment), each with what won. `isPending` says whether a write of this
 * record still waits to be pushed.
 */
export function lostWrites(before: FieldRecord, after: FieldRecord, instanceId: InstanceId, isPending: (hlc: string) => boolean): FieldLoss[] {
  const kept = new Set(after.fields.map(stampKey));
  const afterValue = after.op === 'put' ? after.value : undefined;
  const losses: FieldLoss[] = [];
  for (const had of writesOfRecord(before)) {
    if (had.source !== instanceId || kept.has(stampKey(had))) continue;
    // What hides it now lies at its path or above and is later (only those hide a write):
    // the latest of them won. A later write of this replica there is an edit, not a loss.
    let won: FieldStamp | undefined;
    for (const stamp of after.fields) {
      if (isPathPrefix(stamp.path, had.path) && compareWrites(stamp, had) > 0 && (won === undefined || compareWrites(stamp, won) > 0)) won = stamp;
    }
    if (won === undefined || won.source === instanceId) continue;
    const pending = isPending(had.hlc);
    if (!pending && won.over?.some((over) => over.hlc === had.hlc && over.source === had.source) !== true) continue;
    const wonValue = won.deleted === true ? {} : { value: readPath(afterValue, won.path) ?? null };
    const wonVersion = won.version === undefined ? {} : { version: won.version };
    losses.push({
      path: had.path,
      had: { hlc: had.hlc, source: had.source, ...(had.deleted === true ? {} : { value: had.value ?? null }) },
      won: { hlc: won.hlc, source: won.source, path: won.path, ...wonValue, ...wonVersion },
      pending,
    });
  }
  return losses;
}

/** Why this replica lost `loss`, in words. */
function describeLoss({ path, had, won, pending }: FieldLoss): string {
  const field = path.length === 0 ? 'the record' : path.join('.');
  return `${field}: this replica's ${pending ? 'pending write' : 'write'} (${had.hlc}) lost to ${won.source}'s later one (${won.hlc})${pending ? '' : ', made without seeing it'}`;
}

/** The conflict of a server state that overruled `fields` of this replica's writes in `held`. */
function lostConflict(held: ReplicaRecord, remote: PulledChange, fields: readonly FieldLoss[]): LocalConflict {
  const local = recordState(held);
  // The fields that did not lose stay beside those that won, unless a write of the whole record won.
  const outcome = fields.some((loss) => loss.won.path.length === 0) ? 'remote' : 'merged';
  const reason = `${fields.map(describeLoss).join('; ')}; ${RULE}`;
  const { collective, id } = remote;
  return { collective, id, local: { ...local, hlc: held.hlc }, remote, winner: 'remote', report: { collective, id, policy: 'field-last-write-wins', local, remote, outcome, reason, fields } };
}

/**
 * The record the replica holds once a server state `incoming` meets `held`, or
 * undefined when the merge changes nothing. It names the latest stamp's clock, the one
 * writer of all its stamps (or `SEVERAL_WRITERS`), and the higher server version.
 */
export function mergedRemote(held: ReplicaRecord | undefined, incoming: PulledChange): (PulledChange & { readonly before: FieldRecord }) | undefined {
  const before = fieldsOf(held);
  const after = mergeFieldRecords(before, withVersions(asFieldRecord(incoming), incoming.version));
  if (held !== undefined && sameFieldRecord(after, before)) return undefined;
  const latest = latestStamp(after.fields) ?? incoming;
  const version = Math.max(held?.version ?? 0, incoming.version);
  return { collective: incoming.collective, id: incoming.id, ...after, hlc: latest.hlc, source: writerOf(after.fields), version, before };
}

/**
 * Server states met with the records held (`held[i]` is the stored record of
 * `changes[i]`, read before); a record met twice merges twice. Returns the records to
 * write, each once, in the order first met, with their history, and a conflict for
 * each record where this replica lost writes.
 *
 * With `fed`, the states come from the feed, and a record the merge leaves as it is
 * is written again too (its version raised to the state's): a snapshot's page must
 * write every record it brings, or the snapshot's end drops it as not brought
 * (`pull-snapshot.ts`). A record holds a feed state already when a push's answer brought
 * it (chaos seed 28 of field-last-write-wins lost a record so).
 */
export function mergeRemoteStates(meeting: RemoteMeeting, fed = false): { written: PulledChange[]; conflicts: LocalConflict[] } {
  // Both replicas always say who they are (`meet`, the memory replica's own plans).
  const { changes, instanceId = '' } = meeting;
  const pending = pendingWrites(meeting.entries ?? []);
  const current = new Map<string, ReplicaRecord | undefined>();
  const written = new Map<string, PulledChange>();
  const conflicts: LocalConflict[] = [];
  changes.forEach((change, i) => {
    const key = recordKey(change.collective, change.id);
    if (!current.has(key)) current.set(key, meeting.held?.[i]);
    const held = current.get(key);
    const merged = mergedRemote(held, change);
    if (merged === undefined) {
      if (fed && held !== undefined && !written.has(key)) written.set(key, { ...held, version: Math.max(held.version ?? 0, change.version) } as PulledChange);
      return;
    }
    const { before, ...record } = merged;
    const fields = lostWrites(before, asFieldRecord(record), instanceId, (hlc) => pending.has(`${key}|${hlc}`));
    const noted = withHistory(held, record, 'server', instanceId, fields) as PulledChange;
    current.set(key, noted);
    written.set(key, noted);
    if (held !== undefined && fields.length > 0) conflicts.push(lostConflict(held, change, fields));
  });
  return { written: [...written.values()], conflicts };
}
