/**
 * Which collection reads the page answers itself (`page-records.ts`) and how: a whole
 * collection (`list`, `query({})`) and its pages by id (`limit`, `after`). They give
 * what the worker gives for the same call (`worker/query-calls.ts` over the `live`
 * index: live records in id order, values of a newer app-data version left out, the
 * same `next` cursor), so either may answer and a page read by one continues with the
 * other. Everything else (`where`, `orderBy`, `reverse`, a malformed query) is the
 * worker's: its indexes and its error messages stay there.
 */
import type { JsonValue } from '../protocol/types.ts';
import { VERSION_KEY, type QueryCursor, type QueryPage, type QuerySpec } from '../query/types.ts';
import { fromRecordRow, type RecordRow } from '../store/schema.ts';
import type { RecordEntry } from '../store/types.ts';
import { toRecordEntry } from '../store/write-plans.ts';
import type { PageRecords } from './page-records.ts';

/** The id a query continues after; null when the page does not answer it (undefined: from the start). */
function pageStart(collection: string, query: QuerySpec): string | undefined | null {
  const { where, orderBy, reverse, limit, after } = query;
  if ((where !== undefined && Object.keys(where).length > 0) || orderBy !== undefined || reverse === true) return null;
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit > 0)) return null;
  if (after === undefined) return undefined;
  // The worker's cursor over the `live` index: [collection, 1, id].
  const [at, live, id, ...rest] = after;
  return at === collection && live === 1 && typeof id === 'string' && rest.length === 0 ? id : null;
}

/** A page of `collection` read on the page, or undefined: ask the worker. Values newer than `version` are left out. */
export async function pageQuery(records: PageRecords, collection: string, query: QuerySpec, version: number): Promise<QueryPage | undefined> {
  const after = typeof query === 'object' && query !== null ? pageStart(collection, query) : null;
  if (after === null) return undefined;
  const { limit } = query;
  const notNewer = (row: RecordRow): boolean => {
    const value = row.value;
    const written = typeof value === 'object' && value !== null ? (value as { readonly [VERSION_KEY]?: unknown })[VERSION_KEY] : undefined;
    return typeof written !== 'number' || written <= version;
  };
  // One more than the limit tells whether a next page exists.
  const rows = await records.read(collection, limit === undefined ? Infinity : limit + 1, after, notNewer);
  if (rows === undefined) return undefined;
  if (limit !== undefined && rows.length > limit) rows.length = limit;
  else return { records: rows.map(stored) };
  return { records: rows.map(stored), next: [collection, 1, (rows[limit - 1] as RecordRow).id] as QueryCursor };
}

/** A row as a page carries it: id and stored value (a live row always has one). */
function stored(row: RecordRow): { id: string; value: JsonValue } {
  return { id: row.id, value: row.value as JsonValue };
}

/** Every live record of `collective` read on the page, as `list` gives them; undefined: ask the worker. */
export async function pageList(records: PageRecords, collective: string): Promise<RecordEntry[] | undefined> {
  const rows = await records.read(collective, Infinity);
  // Through the schema's one row↔record mapping, as the worker's list does.
  return rows?.map((row) => toRecordEntry(fromRecordRow(row)) as RecordEntry);
}
