/**
 * The SQLite store's reads of the change feed on one read connection: the store's own
 * reader in the server's thread, or a read worker's (`read-worker.ts`). Each read runs in
 * the connection's current snapshot; the caller holds the read transaction that fixes it.
 */
import type Database from 'better-sqlite3';
import type { ChangePage, ChangeQuery } from '../../types.ts';
import { changePage, feedFill, feedRowBytes, FIELDS_FRAME_BYTES, OVER_FRAME_BYTES, utf8Bytes } from '../change-page.ts';
import { RECORD_COLUMNS, recordFromRow, type RecordRow } from '../sql/record-row.ts';
import { collectiveFeed } from './collective-feed.ts';
import { SQL } from './sqlite-database.ts';

/** The feed filter; `@collectives` is a JSON array or null for all, `@exclude` an instance id or null. */
const FEED_WHERE = `version > @after
  AND (@collectives IS NULL OR collective IN (SELECT value FROM json_each(@collectives)))
  AND (@exclude IS NULL OR source <> @exclude)`;

type Latest = { latest: number };
type Floor = { floor: number };

/** Feed reads on one connection, each in its current snapshot. */
export interface FeedReads {
  /** The page for `query` (page, latest version, count and floor from one snapshot: run it in a read transaction). */
  page(query: ChangeQuery): ChangePage;
  /** Highest version written (0 when empty). */
  latest(): number;
  /** Highest version in `collectives`. */
  latestIn(collectives: readonly string[]): number;
  /** Every collective with a row. */
  collectives(): string[];
}

/** The feed reads of `db` (a read connection), their statements prepared once. */
export function feedReads(db: Database.Database): FeedReads {
  const byCollective = collectiveFeed(db);
  const sql = {
    page: db.prepare<[Record<string, unknown>], RecordRow>(`SELECT ${RECORD_COLUMNS} FROM records WHERE ${FEED_WHERE} ORDER BY version LIMIT @limit`),
    count: db.prepare<[Record<string, unknown>], { total: number }>(`SELECT COUNT(*) AS total FROM records WHERE ${FEED_WHERE}`),
    latest: db.prepare<[], Latest>(SQL.latestVersion),
    collectives: db.prepare<[], { collective: string }>(SQL.listCollectives),
    latestIn: db.prepare<[string], Latest>(SQL.latestVersionIn),
    floor: db.prepare<[], Floor>(SQL.gcFloor),
    floorIn: db.prepare<[string], Floor>(SQL.gcFloorIn),
  };
  const latest = (): number => (sql.latest.get() as Latest).latest;
  return {
    page(query) {
      const params = {
        after: query.after,
        collectives: query.collectives === undefined ? null : JSON.stringify(query.collectives),
        exclude: query.excludeSource ?? null,
      };
      // Rows are stepped through one at a time and the statement is reset once the page
      // is full, so no row past the byte cap is loaded.
      const fill = feedFill(query);
      for (const row of byCollective.page(query, params) ?? sql.page.iterate({ ...params, limit: query.limit + 1 })) {
        const stored = (row.value === null ? 0 : utf8Bytes(row.value)) + (row.fields === null ? 0 : FIELDS_FRAME_BYTES + utf8Bytes(row.fields)) + (row.overruled === null ? 0 : OVER_FRAME_BYTES + utf8Bytes(row.overruled));
        if (!fill.add(feedRowBytes(row, stored), () => recordFromRow(row))) break;
      }
      return changePage(query, {
        fill,
        latest: latest(),
        total: query.withTotal === true ? (byCollective.count(query, params) ?? (sql.count.get(params) as { total: number }).total) : undefined,
        gcFloor: ((params.collectives === null ? sql.floor.get() : sql.floorIn.get(params.collectives)) as Floor).floor,
      });
    },
    latest,
    latestIn: (collectives) => (sql.latestIn.get(JSON.stringify(collectives)) as Latest).latest,
    collectives: () => sql.collectives.all().map((row) => row.collective),
  };
}
