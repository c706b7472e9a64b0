/**
 * Record history: why a record holds its value (`explain`). Each record keeps, on its
 * own row, its last {@link HISTORY_LIMIT} states as this replica came to hold them:
 * per write that made it (a record written whole has one, at `[]`; a field-level record
 * one per field written), its writer, clock and server version, and the concurrent
 * writes it overruled with the rule that decided. On the row, so it is written in the
 * same transaction as the state it explains, read with it, and dropped with it.
 *
 * An entry is noted when a write first appears in the record: a local write, or a
 * server state (pulled, or in a push's answer) that brings writes the replica lacked;
 * and once more when the server tells what a write held already overruled.
 */
import { asFieldRecord, EMPTY_FIELD_RECORD, stampKey, writesOfRecord, type FieldRecord } from '../protocol/field-merge.ts';
import { readPath } from '../protocol/field-path.ts';
import type { InstanceId, JsonValue } from '../protocol/types.ts';
import { HISTORY_LIMIT, type FieldLoss, type HistoryEntry, type RecordExplanation } from './field-seam.ts';
import type { ReplicaRecord } from './schema.ts';

/** A held record as a field-level one (a record written whole is one write of `[]`). */
export function fieldsOf(held: ReplicaRecord | undefined): FieldRecord {
  return held === undefined ? EMPTY_FIELD_RECORD : asFieldRecord(held);
}

/** The rule that decides a conflict of field-level records, in words. */
export const RULE = 'field-last-write-wins: the later write (clock, then instance id) wins each field';

/** `{ value }` when `value` is one, else nothing (a deleted field). */
function valued(value: JsonValue | undefined): { readonly value?: JsonValue } {
  return value === undefined ? {} : { value };
}

/**
 * `after`, which `held` became, with history entries for the writes it holds that
 * `held` did not: `via` says how they came; `losses` are this replica's writes they
 * overruled (see `lostWrites`), and a server stamp's `over` names the others'.
 */
export function withHistory(
  held: ReplicaRecord | undefined,
  after: ReplicaRecord,
  via: HistoryEntry['via'],
  instanceId: InstanceId,
  losses: readonly FieldLoss[] = [],
): ReplicaRecord {
  const before = fieldsOf(held);
  const known = new Map(before.fields.map((stamp) => [stampKey(stamp), stamp]));
  // What held writes held, to name the value of a write overruled.
  const heldValues = new Map(writesOfRecord(before).map((write) => [`${write.hlc}|${write.source}`, write.value]));
  const record = asFieldRecord(after);
  const value = record.op === 'put' ? record.value : undefined;
  const entries: HistoryEntry[] = [];
  for (const stamp of record.fields) {
    // A write held already is noted once more only when the server now tells what it
    // overruled (the winner of a concurrent edit learns it from the stamp it pulls).
    const was = known.get(stampKey(stamp));
    if (was !== undefined && (stamp.over === undefined || was.over !== undefined)) continue;
    const beaten = losses.filter((loss) => loss.won.hlc === stamp.hlc && loss.won.source === stamp.source).map((loss) => loss.had);
    const told = (stamp.over ?? []).filter((over) => !beaten.some((had) => had.hlc === over.hlc && had.source === over.source));
    const overruled = [...beaten, ...told].map((write) => ({
      hlc: write.hlc,
      source: write.source,
      ...valued(heldValues.get(`${write.hlc}|${write.source}`)),
      mine: write.source === instanceId,
    }));
    const version = stamp.version ?? (via === 'server' ? after.version : undefined);
    entries.push({
      path: stamp.path,
      ...valued(stamp.deleted === true ? undefined : (readPath(value, stamp.path) ?? null)),
      source: stamp.source,
      hlc: stamp.hlc,
      ...(version === undefined ? {} : { version }),
      via,
      ...(overruled.length === 0 ? {} : { overruled, rule: RULE }),
    });
  }
  const history = [...(held?.history ?? []), ...entries].slice(-HISTORY_LIMIT);
  return history.length === 0 ? after : { ...after, history };
}

/** What `record` (the stored one, or none) says of itself; see {@link RecordExplanation}. */
export function explainRecord(collective: string, id: string, record: ReplicaRecord | undefined): RecordExplanation {
  if (record === undefined) return { collective, id, exists: false, fields: [], history: [] };
  const fields = asFieldRecord(record).fields.map(({ over: _over, ...stamp }) => stamp);
  return {
    collective,
    id,
    ...valued(record.op === 'put' ? record.value : undefined),
    exists: record.op === 'put',
    fields,
    history: record.history ?? [],
  };
}
