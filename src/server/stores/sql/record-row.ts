/**
 * How SQL stores keep a {@link ServerRecord}: the value as JSON text (NULL for a
 * delete; JSON text keeps a value exactly as it was pushed, key order included), and a
 * field-level record's stamps as JSON text too (NULL for a record written whole).
 */
import type { FieldStamp, JsonValue, RecordState } from '../../../protocol/types.ts';
import type { WriteStamp } from '../../../protocol/write-order.ts';
import { StoredPut } from '../../stored-json.ts';
import type { ServerRecord, ServerRecordWrite } from '../../types.ts';

/** A records row as a SQL driver returns it (`version` may come back as a string: bigint). */
export interface RecordRow {
  readonly collective: string;
  readonly id: string;
  readonly op: string;
  readonly value: string | null;
  readonly hlc: string;
  readonly source: string;
  readonly version: number | string;
  readonly fields: string | null;
  /** The record's marks (`ServerRecordWrite.over`) as JSON text, NULL for none (`over` is an SQL keyword). */
  readonly overruled: string | null;
}

/** The columns of a records row, in table order (`fields`, then `overruled` came last, added to older tables). */
export const RECORD_COLUMNS = 'collective, id, op, value, hlc, source, version, fields, overruled';

/**
 * A stored row as a {@link ServerRecord}. A put's value stays the stored text until
 * something reads it (see `stored-json.ts`): a pull serves it as it is.
 */
export function recordFromRow(row: RecordRow): ServerRecord {
  const version = Number(row.version);
  if (row.fields !== null || row.overruled !== null) {
    // A field-level record is read whole, stamps and value: the push merges into it, and
    // its pulled change carries the stamps beside the value (full worker only, opt-in).
    // So is a marked one (few), whose pulled change may carry a mark (`overruled-writes.ts`).
    const state: RecordState = row.op === 'put' ? { op: 'put', value: JSON.parse(row.value ?? 'null') as JsonValue } : { op: 'delete' };
    const record: ServerRecord = { collective: row.collective, id: row.id, hlc: row.hlc, source: row.source, version, ...state };
    return {
      ...record,
      ...(row.fields === null ? {} : { fields: JSON.parse(row.fields) as FieldStamp[] }),
      ...(row.overruled === null ? {} : { over: JSON.parse(row.overruled) as WriteStamp[] }),
    };
  }
  return row.op === 'put'
    ? new StoredPut(row.collective, row.id, row.hlc, row.source, version, row.value ?? 'null')
    : { collective: row.collective, id: row.id, hlc: row.hlc, source: row.source, version, op: 'delete' };
}

/** The fields column of a record: its stamps as JSON text, NULL for a record written whole. */
export function fieldsColumn(record: ServerRecordWrite): string | null {
  return record.fields === undefined ? null : JSON.stringify(record.fields);
}

/** The overruled column of a record: its marks as JSON text, NULL for none. */
export function overColumn(record: ServerRecordWrite): string | null {
  return record.over === undefined ? null : JSON.stringify(record.over);
}

/** The value column of a record: NULL for a delete; a stored row's text as it is. */
export function valueColumn(record: RecordState): string | null {
  return record.op === 'put' ? (StoredPut.textOf(record) ?? JSON.stringify(record.value)) : null;
}
