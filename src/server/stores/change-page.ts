/**
 * The feed-page rule, once for every store. A store reads, from one snapshot, the
 * matching rows after the cursor in version order and hands each to a {@link FeedFill},
 * which keeps the page within its row limit and its byte cap and says when to stop
 * reading (one row past the page only says that more follow); with the highest version
 * and the count when asked, {@link changePage} turns that into the {@link ChangePage}
 * the interface promises.
 *
 * Bytes are counted as {@link feedRowBytes} measures a row, the same in every store, so
 * a store stops reading once the cap is reached instead of loading every row of the
 * page first: 600 values of 1 MiB once made one pull build 524 MB of JSON (issue 11,
 * finding 2). Postgres computes the same measure in SQL (`postgres-schema.ts`).
 */
import { ErrorCode, SyncError } from '../../protocol/errors.ts';
import type { SyncCursor } from '../../protocol/types.ts';
import type { ChangePage, ChangeQuery, ServerRecord } from '../types.ts';

/**
 * What a row costs on the wire besides its texts and value: its field names,
 * punctuation, `op` and `version`, and the comma between rows:
 * `{"collective":,"id":,"op":"delete","value":,"hlc":,"source":,"version":9007199254740991},`
 * is 89 bytes.
 */
export const ROW_FRAME_BYTES = 96;

/** A text all of whose characters are ASCII: one byte each in UTF-8. */
const ASCII = /^[\x00-\x7f]*$/;
/** A text that `JSON.stringify` only quotes: printable ASCII without `"` or `\`. */
export const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * UTF-8 length of `text`, without encoding it (a lone surrogate counts as U+FFFD would).
 * ASCII, the common case, is told by one native regular-expression test rather than a
 * walk in JavaScript: a pull page measures every row it serves, and the walk was a
 * third of a SQLite page's time.
 */
export function utf8Bytes(text: string): number {
  if (ASCII.test(text)) return text.length;
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) {
      bytes += 1;
      continue;
    }
    const next = text.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++; // a pair: 4 bytes for 2 units
    bytes += 2;
  }
  return bytes;
}

/**
 * The bytes a feed row takes in a pull answer: the JSON text of its value
 * (`valueJsonBytes`, 0 for a delete; SQL stores keep that text as it is), its key,
 * clock and writer as JSON strings, and {@link ROW_FRAME_BYTES}.
 */
export function feedRowBytes(row: Pick<ServerRecord, 'collective' | 'id' | 'hlc' | 'source'>, valueJsonBytes: number): number {
  return ROW_FRAME_BYTES + jsonStringBytes(row.collective) + jsonStringBytes(row.id) + jsonStringBytes(row.hlc) + jsonStringBytes(row.source) + valueJsonBytes;
}

/** UTF-8 length of `JSON.stringify(text)`; a plain text (the common case) is not stringified to be measured. */
function jsonStringBytes(text: string): number {
  return PLAIN.test(text) ? text.length + 2 : utf8Bytes(JSON.stringify(text));
}

/** What `,"fields":` adds to a row that carries field stamps. */
export const FIELDS_FRAME_BYTES = 10;

/**
 * The bytes a field-level record's stamps add to a feed row: their JSON text (SQL
 * stores keep that text as it is served) and {@link FIELDS_FRAME_BYTES}; 0 without.
 */
export function fieldsJsonBytes(fields: ServerRecord['fields']): number {
  return fields === undefined ? 0 : FIELDS_FRAME_BYTES + utf8Bytes(JSON.stringify(fields));
}

/** What `,"over":` adds to a row that carries marks. */
export const OVER_FRAME_BYTES = 8;

/**
 * The most a record's marks (`ServerRecordWrite.over`) add to a feed row: the JSON text
 * of all of them and {@link OVER_FRAME_BYTES}, though a puller is sent one clock of it
 * at most (an overestimate keeps the page within its cap); 0 without.
 */
export function overJsonBytes(over: ServerRecord['over']): number {
  return over === undefined ? 0 : OVER_FRAME_BYTES + utf8Bytes(JSON.stringify(over));
}

/** Collects one page's rows as a store reads them in version order. */
export interface FeedFill {
  /**
   * Takes the next matching row: its {@link feedRowBytes} and a function that makes the
   * row, called only when the row is served (a row past the page is never decoded).
   * Returns false once the page is complete, after which the store reads no more rows
   * for it (it may go on counting them for `withTotal`).
   */
  add(bytes: number, row: () => ServerRecord): boolean;
  /** The rows of the page so far. */
  readonly rows: readonly ServerRecord[];
  /** A row past the page was seen: more follow. */
  readonly hasMore: boolean;
}

/** A fill for `query`: at most `query.limit` rows, and bytes up to `query.maxBytes` past the first row. */
export function feedFill(query: ChangeQuery): FeedFill {
  const rows: ServerRecord[] = [];
  const maxBytes = query.maxBytes ?? Number.POSITIVE_INFINITY;
  let bytes = 0;
  let hasMore = false;
  return {
    rows,
    get hasMore() {
      return hasMore;
    },
    add(size, row) {
      if (hasMore) return false;
      // A row past the limit or the cap is not served; that it exists says more follow.
      // The first row is served whatever its size, so every page makes progress.
      if (rows.length >= query.limit || (rows.length > 0 && bytes + size > maxBytes)) {
        hasMore = true;
        return false;
      }
      rows.push(row());
      bytes += size;
      return true;
    },
  };
}

/** What a store read from one snapshot for one page. */
export interface FeedRead {
  /** The page's rows and whether more follow, from a {@link feedFill}. */
  readonly fill: Pick<FeedFill, 'rows' | 'hasMore'>;
  /** The highest version in the snapshot (0 when empty). */
  readonly latest: SyncCursor;
  /** Every matching row after the cursor; read only when `query.withTotal`. */
  readonly total?: number | undefined;
  /** The gc floor of the query's collectives in the snapshot (0 or absent: nothing removed). */
  readonly gcFloor?: SyncCursor | undefined;
}

/**
 * The page for `query`. When more rows follow, the cursor stops at the last row served;
 * otherwise it moves to the snapshot's latest version, past rows that were filtered out
 * (other collectives, the puller's own), so they are not looked at again. Never below
 * `query.after`: a cursor does not go backwards.
 */
export function changePage(query: ChangeQuery, read: FeedRead): ChangePage {
  const { latest } = read;
  const { rows, hasMore } = read.fill;
  const last = rows[rows.length - 1];
  const newCursor = hasMore && last !== undefined ? last.version : Math.max(query.after, latest);
  const floor = read.gcFloor ?? 0;
  // Only when something was removed, so a store that never sweeps answers as it always has.
  const page: ChangePage = floor > 0 ? { rows: [...rows], hasMore, newCursor, latest, gcFloor: floor } : { rows: [...rows], hasMore, newCursor, latest };
  if (query.withTotal !== true) return page;
  if (read.total === undefined) throw new SyncError(ErrorCode.INTERNAL, 'A server store was asked for the total of a page and did not count it');
  return { ...page, total: read.total };
}
