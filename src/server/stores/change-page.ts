/**
 * The feed-page rule, once for every store. A store reads, from one snapshot, the
 * matching rows after the cursor (one more than the limit: the extra row only says that
 * more follow), the highest version, and the count when asked; this turns that into the
 * {@link ChangePage} the interface promises.
 */
import { ErrorCode, SyncError } from '../../protocol/errors.ts';
import type { SyncCursor } from '../../protocol/types.ts';
import type { ChangePage, ChangeQuery, ServerRecord } from '../types.ts';

/** What a store read from one snapshot for one page. */
export interface FeedRead {
  /** Matching rows after `query.after` in increasing version order, at most `query.limit + 1`. */
  readonly rows: readonly ServerRecord[];
  /** The highest version in the snapshot (0 when empty). */
  readonly latest: SyncCursor;
  /** Every matching row after the cursor; read only when `query.withTotal`. */
  readonly total?: number | undefined;
}

/**
 * The page for `query`. When more rows follow, the cursor stops at the last row served;
 * otherwise it moves to the snapshot's latest version, past rows that were filtered out
 * (other collectives, the puller's own), so they are not looked at again. Never below
 * `query.after`: a cursor does not go backwards.
 */
export function changePage(query: ChangeQuery, read: FeedRead): ChangePage {
  const { latest } = read;
  const hasMore = read.rows.length > query.limit;
  const rows = hasMore ? read.rows.slice(0, query.limit) : read.rows;
  const last = rows[rows.length - 1];
  const newCursor = hasMore && last !== undefined ? last.version : Math.max(query.after, latest);
  const page: ChangePage = { rows, hasMore, newCursor, latest };
  if (query.withTotal !== true) return page;
  if (read.total === undefined) throw new SyncError(ErrorCode.INTERNAL, 'A server store was asked for the total of a page and did not count it');
  return { ...page, total: read.total };
}
