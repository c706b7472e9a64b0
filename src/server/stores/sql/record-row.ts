/**
 * How SQL stores keep a {@link ServerRecord}: the value as JSON text (NULL for a
 * delete; JSON text keeps a value exactly as it was pushed, key order included).
 */
import type { RecordState } from '../../../protocol/types.ts';
import { StoredPut } from '../../stored-json.ts';
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

/**
 * A stored row as a {@link ServerRecord}. A put's value stays the stored text until
 * something reads it (see `stored-json.ts`): a pull serves it as it is.
 */
export function recordFromRow(row: RecordRow): ServerRecord {
  const version = Number(row.version);
  return row.op === 'put'
    ? new StoredPut(row.collective, row.id, row.hlc, row.source, version, row.value ?? 'null')
    : { collective: row.collective, id: row.id, hlc: row.hlc, source: row.source, version, op: 'delete' };
}

/** The value column of a record: NULL for a delete; a stored row's text as it is. */
export function valueColumn(record: RecordState): string | null {
  return record.op === 'put' ? (StoredPut.textOf(record) ?? JSON.stringify(record.value)) : null;
}
