/**
 * How SQL stores keep an {@link InstanceRecord}: one row per instance id, its recent
 * fingerprints and its kept answers as JSON text (short lists read and written whole
 * with the row). The `answers` column came later: {@link INSTANCE_ANSWERS_COLUMN} adds it
 * to a table made before, empty for every instance.
 */
import type { KeptAnswer } from '../../instance-answers.ts';
import type { InstanceRecord } from '../../types.ts';

/** An instances row as a SQL driver returns it (`seq` may come back as a string: bigint). */
export interface InstanceRow {
  readonly instance_id: string;
  readonly owner: string | null;
  readonly key_id: string | null;
  readonly seq: number | string;
  readonly recent: string;
  readonly answers: string;
}

/** The columns of an instances row, in table order. */
export const INSTANCE_COLUMNS = 'instance_id, owner, key_id, seq, recent, answers';

/** The definition of the `answers` column, for the table and for adding it to a table made before it. */
export const INSTANCE_ANSWERS_COLUMN = `answers text NOT NULL DEFAULT '[]'`;

/** A stored row as an {@link InstanceRecord}. */
export function instanceFromRow(row: InstanceRow): InstanceRecord {
  return {
    instanceId: row.instance_id,
    owner: row.owner,
    keyId: row.key_id,
    seq: Number(row.seq),
    recent: JSON.parse(row.recent) as [number, string][],
    ...(row.answers === '[]' ? {} : { answers: JSON.parse(row.answers) as KeptAnswer[] }),
  };
}

/** The parameters of the upsert, in {@link INSTANCE_COLUMNS} order. */
export function instanceParams(record: InstanceRecord): [string, string | null, string | null, number, string, string] {
  return [record.instanceId, record.owner, record.keyId, record.seq, JSON.stringify(record.recent), JSON.stringify(record.answers ?? [])];
}
