/**
 * How SQL stores keep an {@link InstanceRecord}: one row per instance id, its recent
 * fingerprints as JSON text (a short list read and written whole with the row).
 */
import type { InstanceRecord } from '../../types.ts';

/** An instances row as a SQL driver returns it (`seq` may come back as a string: bigint). */
export interface InstanceRow {
  readonly instance_id: string;
  readonly owner: string | null;
  readonly key_id: string | null;
  readonly seq: number | string;
  readonly recent: string;
}

/** The columns of an instances row, in table order. */
export const INSTANCE_COLUMNS = 'instance_id, owner, key_id, seq, recent';

/** A stored row as an {@link InstanceRecord}. */
export function instanceFromRow(row: InstanceRow): InstanceRecord {
  return {
    instanceId: row.instance_id,
    owner: row.owner,
    keyId: row.key_id,
    seq: Number(row.seq),
    recent: JSON.parse(row.recent) as [number, string][],
  };
}

/** The parameters of the upsert, in {@link INSTANCE_COLUMNS} order. */
export function instanceParams(record: InstanceRecord): [string, string | null, string | null, number, string] {
  return [record.instanceId, record.owner, record.keyId, record.seq, JSON.stringify(record.recent)];
}
