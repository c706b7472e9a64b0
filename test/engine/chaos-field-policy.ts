/**
 * `field-last-write-wins` in the chaos scenario: replicas with field-level records draw
 * patches (set and delete, nested paths) beside puts and deletes, and the end state is
 * judged against the plain in-memory model of field-level last-write-wins
 * (`test/protocol/field-lww-model.ts`), per record: what the server holds, value and
 * field stamps, is what the model makes of every write that may be kept; a replica that
 * syncs the record holds the same (checked as for every policy, against the server);
 * a replica that keeps its own refused writes holds what the model makes of them (with
 * the server's writes where it reads them, as `chaos-read-only.ts` says).
 */
import type { PatchState, FieldPatch, FieldStamp } from '../../src/protocol/types.ts';
import { asFieldRecord } from '../../src/protocol/field-merge.ts';
import { canonicalJson, pathKey } from '../../src/protocol/field-path.ts';
import { replicaFields } from '../../src/store/replica-fields.ts';
import type { RecordChange } from '../protocol/field-changes.ts';
import { modelLatest, modelRecord } from '../protocol/field-lww-model.ts';
import { identity, key, writeKey, type ModelWrite } from './chaos-model.ts';
import { WRITE_OPS, type WriteOp } from './chaos-ops.ts';
import type { ChaosPolicy } from './chaos-policies.ts';

/** Paths a patch writes: two fields, an object field and two keys inside it, so paths meet above and below. */
const PATHS: readonly (readonly string[])[] = [['title'], ['done'], ['meta'], ['meta', 'a'], ['meta', 'b']];

const overlap = (a: readonly string[], b: readonly string[]) => a.every((k, i) => i >= b.length || b[i] === k);

/** A patch of 1–2 fields whose paths do not overlap (the wire refuses that), a quarter of them deletes. */
const patchOp: WriteOp = {
  name: 'patch',
  weight: 10,
  make(collective, id, value, random) {
    const fields: FieldPatch[] = [];
    for (let i = random.int(1, 2); i > 0; i--) {
      const path = random.pick(PATHS);
      const deletes = random.chance(0.25);
      if (fields.some((f) => overlap(f.path, path))) continue;
      fields.push(deletes ? { path } : { path, value: { ...value() } });
    }
    return { op: 'patch', collective, id, fields } satisfies PatchState & { collective: string; id: string };
  },
};

const changeOf = (w: ModelWrite): RecordChange => ({ ...w.state, hlc: w.hlc, source: w.source }) as RecordChange;

/** A record's stamps as the model writes them: `path|hlc|source|set or deleted`, sorted. */
const stampsOf = (fields: readonly FieldStamp[]) => fields.map((s) => `${JSON.stringify(s.path)}|${s.hlc}|${s.source}|${s.deleted === true ? 'deleted' : 'set'}`).sort();

/** 2, 3 under the field policy: each row's stamps are writes somebody made and may make; each record is the model's. */
function checkFieldServer(state: Parameters<NonNullable<ChaosPolicy['checkServer']>>[0], serverRows: Parameters<NonNullable<ChaosPolicy['checkServer']>>[1], problems: string[]): void {
  const made = new Map(state.model.writes.map((w) => [writeKey(w, w.key), w]));
  for (const row of state.server.committed) {
    const record = key(row.collective, row.id);
    for (const stamp of asFieldRecord(row).fields) {
      const w = made.get(writeKey(stamp, record));
      const at = `${identity(stamp)} at ${pathKey(stamp.path) || 'the record'}`;
      if (w === undefined) problems.push(`${record}: the server keeps a write nobody made (${at})`);
      else if (w.forbidden) problems.push(`${record}: the server applied the write ${at}, which its writer may not make (FORBIDDEN)`);
    }
  }
  const allowed = state.model.allowedByKey();
  for (const [record, writes] of allowed) {
    const row = serverRows.get(record);
    if (row === undefined) {
      problems.push(`${record}: written ${writes.length} times, missing on the server`);
      continue;
    }
    const expected = modelRecord(writes.map(changeOf));
    const held = asFieldRecord(row);
    const value = held.op === 'put' ? held.value : undefined;
    if (canonicalJson(value) !== canonicalJson(expected.value) || canonicalJson(stampsOf(held.fields)) !== canonicalJson([...expected.stamps])) {
      problems.push(`${record}: the server holds ${JSON.stringify(value)} stamped ${JSON.stringify(stampsOf(held.fields))}, the model of field-level last-write-wins ${JSON.stringify(expected.value)} stamped ${JSON.stringify(expected.stamps)}`);
    }
  }
  if (serverRows.size !== allowed.size) problems.push(`the server has ${serverRows.size} records, the allowed writes touched ${allowed.size}`);
}

/** Field-level last-write-wins, judged by the model. */
export const fieldLastWriteWins: ChaosPolicy = {
  name: 'field-last-write-wins',
  conflictResolution: 'field-last-write-wins',
  ops: [...WRITE_OPS, patchOp],
  fields: replicaFields,
  // The model judges the server's records (checkServer): no row is one write.
  expected: () => undefined,
  refusals: [],
  superseded: () => false,
  madeBy(writes) {
    const changes = writes.map(changeOf);
    const { value } = modelRecord(changes);
    const latest = modelLatest(changes);
    return value === undefined || latest === undefined ? null : { value, hlc: latest.hlc };
  },
  checkServer: checkFieldServer,
};
