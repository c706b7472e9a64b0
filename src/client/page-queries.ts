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
import { VERSION_KEY, type QueryCursor, type QueryPage, type QuerySpec, type StoredEntry } from '../query/types.ts';
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
export async function pageQuery(pages: PageRecords, collection: string, query: QuerySpec, version: number): Promise<QueryPage | undefined> {
  const after = typeof query === 'object' && query !== null ? pageStart(collection, query) : null;
  if (after === null) return undefined;
  const { limit } = query;
  // Values of a newer app-data version are left out, as the worker leaves them out.
  const take = (row: RecordRow): StoredEntry | undefined => {
    const value = row.value as JsonValue;
    const written = typeof value === 'object' && value !== null ? (value as { readonly [VERSION_KEY]?: unknown })[VERSION_KEY] : undefined;
    return typeof written !== 'number' || written <= version ? { id: row.id, value } : undefined;
  };
  // One more than the limit tells whether a next page exists.
  const records = await pages.read(collection, limit === undefined ? Infinity : limit + 1, take, after);
  if (records === undefined || limit === undefined || records.length <= limit) return records && { records };
  records.length = limit;
  return { records, next: [collection, 1, (records[limit - 1] as StoredEntry).id] as QueryCursor };
}

/** Every live record of `collective` read on the page, as `list` gives them; undefined: ask the worker. */
export async function pageList(records: PageRecords, collective: string): Promise<RecordEntry[] | undefined> {
  // Through the schema's one row↔record mapping, as the worker's list does.
  return records.read(collective, Infinity, (row) => toRecordEntry(fromRecordRow(row)));
}
