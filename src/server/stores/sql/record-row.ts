/**
 * How SQL stores keep a {@link ServerRecord}: the value as JSON text (NULL for a
 * delete; JSON text keeps a value exactly as it was pushed, key order included).
 */
import type { JsonValue, RecordState } from '../../../protocol/types.ts';
import type { ServerRecord } from '../../types.ts';

/** A records row as a SQL driver returns it (`version` may come back as a string: bigint). */
export interface RecordRow {
  readonly collective: string;
  readonly id: string;
  readonly op: string;
  readonly value: string | null;
  readonly hlc: string;
  readonly source: string;
  readonly version: number | string;
}

/** The columns of a records row, in table order. */
export const RECORD_COLUMNS = 'collective, id, op, value, hlc, source, version';

/** A stored row as a {@link ServerRecord}. */
export function recordFromRow(row: RecordRow): ServerRecord {
  const state: RecordState = row.op === 'put' ? { op: 'put', value: JSON.parse(row.value ?? 'null') as JsonValue } : { op: 'delete' };
  return { collective: row.collective, id: row.id, hlc: row.hlc, source: row.source, version: Number(row.version), ...state };
}

/** The value column of a record: NULL for a delete. */
export function valueColumn(record: RecordState): string | null {
  return record.op === 'put' ? JSON.stringify(record.value) : null;
}
