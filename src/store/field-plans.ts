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
 */
import {
  asFieldRecord,
  changeWrites,
  EMPTY_FIELD_RECORD,
  latestStamp,
  mergeFieldRecords,
  recordOfWrites,
  sameFieldRecord,
  withVersions,
  writerOf,
  type FieldRecord,
} from '../protocol/field-merge.ts';
import { recordKey } from '../protocol/record-key.ts';
import type { PatchState, PulledChange, RecordKey } from '../protocol/types.ts';
import type { WriteStamp } from '../protocol/write-order.ts';
import type { ReplicaRecord } from './schema.ts';

/** A held record as a field-level one (a record written whole is one write of `[]`). */
function fieldsOf(held: ReplicaRecord | undefined): FieldRecord {
  return held === undefined ? EMPTY_FIELD_RECORD : asFieldRecord(held);
}

/**
 * The record a local patch makes of `held`: merged with the patch's writes, stamped
 * with this write. It carries no server version: this state is the replica's own.
 */
export function patchedRecord(held: ReplicaRecord | undefined, change: RecordKey & PatchState, stamp: WriteStamp): ReplicaRecord {
  const after = mergeFieldRecords(fieldsOf(held), recordOfWrites(changeWrites({ ...change, ...stamp })));
  return { collective: change.collective, id: change.id, ...after, ...stamp };
}

/**
 * The record the replica holds once a server state `incoming` meets `held`, or
 * undefined when the merge changes nothing. It names the latest stamp's clock, the one
 * writer of all its stamps (or `SEVERAL_WRITERS`), and the higher server version.
 */
export function mergedRemote(held: ReplicaRecord | undefined, incoming: PulledChange): PulledChange | undefined {
  const before = fieldsOf(held);
  const after = mergeFieldRecords(before, withVersions(asFieldRecord(incoming), incoming.version));
  if (held !== undefined && sameFieldRecord(after, before)) return undefined;
  const latest = latestStamp(after.fields) ?? incoming;
  const version = Math.max(held?.version ?? 0, incoming.version);
  return { collective: incoming.collective, id: incoming.id, ...after, hlc: latest.hlc, source: writerOf(after.fields), version };
}

/**
 * Server states merged into the records held (`held[i]` is the stored record of
 * `changes[i]`, read before); a record met twice merges twice. Returns the records to
 * write, each once, in the order first met.
 */
export function mergeRemoteStates(changes: readonly PulledChange[], held: readonly (ReplicaRecord | undefined)[]): PulledChange[] {
  const current = new Map<string, ReplicaRecord | undefined>();
  const written = new Map<string, PulledChange>();
  changes.forEach((change, i) => {
    const key = recordKey(change.collective, change.id);
    if (!current.has(key)) current.set(key, held[i]);
    const merged = mergedRemote(current.get(key), change);
    if (merged === undefined) return;
    current.set(key, merged);
    written.set(key, merged);
  });
  return [...written.values()];
}
