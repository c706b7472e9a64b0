/**
 * Field-level records (`field-last-write-wins`) and record history in a replica: what
 * `ReplicaOptions.fields` takes. Opt-in code, like collections: pulsesync's full worker
 * gives it to its replicas (`worker/worker-fields.ts`), the default worker does not, and
 * with `pulsesync/engine` an app passes it to `openReplica` itself. The memory replica
 * always has it.
 *
 * It plans the replica's writes around `write-plans.ts`: the same numbering, clock and
 * cursor check, then each record meets the one held (a patch or a server state merges
 * into it: `field-plans.ts`) and keeps its history (`record-history.ts`). Under another
 * policy server states are whole records, planned as without it.
 */
import { recordKey } from '../protocol/record-key.ts';
import { parseFieldStamps } from '../protocol/stamp-parser.ts';
import type { PulledChange } from '../protocol/types.ts';
import { mergeRemoteStates, patchedRecord } from './field-plans.ts';
import type { ReplicaFields } from './field-seam.ts';
import { FieldIdbReplica } from './idb-field-replica.ts';
import { toLoggedPatch } from './logged-patch.ts';
import { explainRecord, withHistory } from './record-history.ts';
import { requestResult } from './idb-transaction.ts';
import { fromRecordRow, Stores, type LogEntry, type RecordRow, type ReplicaRecord } from './schema.ts';
import { planFeedBatch, planLocalWrite, planServerStates } from './write-plans.ts';

/**
 * `input` with every stamp checked (see `protocol/stamp-parser.ts`): a pulled change's
 * fail the batch (`INVALID_PAYLOAD`, as the pull parser fails a bad change); a held
 * record's that do not pass (stored by a replica without field-level records, which
 * keeps stamps unread) are dropped, and the record reads as written whole.
 */
function checked<T extends { readonly changes: readonly PulledChange[]; readonly held?: readonly (ReplicaRecord | undefined)[] | undefined }>(input: T): T {
  const changes = input.changes.map((change) =>
    change.fields === undefined ? change : { ...change, fields: parseFieldStamps(change.fields, ['pulled change', `${change.collective}/${change.id}`, 'fields']) },
  );
  return { ...input, changes, held: input.held?.map(checkedRecord) };
}

/** A held record with its stamps checked, or read as written whole when they do not pass (see {@link checked}). */
function checkedRecord(record: ReplicaRecord | undefined): ReplicaRecord | undefined {
  if (record?.fields === undefined) return record;
  try {
    return { ...record, fields: parseFieldStamps(record.fields, ['held record']) };
  } catch {
    const { fields: _unread, ...whole } = record;
    return whole;
  }
}

/**
 * Field-level records and record history, for `openReplica({ fields: replicaFields })`
 * (pulsesync's full worker passes it for you).
 */
export const replicaFields: ReplicaFields = {
  meet: async (conn, tx, changes) => {
    const records = tx.objectStore(Stores.records);
    // Every request at once.
    const [entries, ...rows] = await Promise.all([
      requestResult(tx.objectStore(Stores.log).getAll()) as Promise<LogEntry[]>,
      ...changes.map((c) => requestResult(records.get([c.collective, c.id])) as Promise<RecordRow | undefined>),
    ]);
    return { entries, held: rows.map((row) => row && fromRecordRow(row)), instanceId: conn.instanceId };
  },
  loggedPatch: toLoggedPatch,
  planLocalWrite: (input) => {
    const plan = planLocalWrite(input);
    const stamp = { hlc: plan.entry.hlc, source: input.instanceId };
    const current = new Map<string, ReplicaRecord | undefined>();
    input.changes.forEach((change, i) => {
      const key = recordKey(change.collective, change.id);
      if (!current.has(key)) current.set(key, checkedRecord(input.held?.[i]));
    });
    const records = input.changes.map((change): ReplicaRecord => {
      const key = recordKey(change.collective, change.id);
      const held = current.get(key);
      const record = withHistory(held, change.op === 'patch' ? patchedRecord(held, change, stamp) : { ...change, ...stamp }, 'local', stamp.source);
      current.set(key, record);
      return record;
    });
    return { ...plan, records };
  },
  planFeedBatch: (unchecked) => {
    const input = checked(unchecked);
    // Field-level records are the field policy's: another keeps whole records.
    if (input.policy !== 'field-last-write-wins') return planFeedBatch(input);
    // The cursor check and the clock as last-write-wins with nothing pending has them;
    // the merge decides what is written, pending writes kept (they are in the records).
    return { ...planFeedBatch({ ...input, policy: 'last-write-wins', entries: [] }), ...mergeRemoteStates(input, true) };
  },
  planServerStates: (unchecked) => {
    const input = checked(unchecked);
    if (input.policy !== 'field-last-write-wins') return planServerStates(input);
    return { ...planServerStates({ ...input, policy: 'last-write-wins', held: [] }), ...mergeRemoteStates(input) };
  },
  explain: explainRecord,
  IdbReplica: FieldIdbReplica,
};
