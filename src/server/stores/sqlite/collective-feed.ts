/**
 * The SQLite feed of a few named collectives, read collective by collective. The
 * general feed query walks the version index from the cursor and filters on the
 * collective, so a reader of two collectives on a server of 100,000 reads every row
 * after its cursor (a restricted pull cost 80 ms there). Here each collective is its own
 * arm of a UNION ALL over the `(collective, version)` index, and SQLite merges the arms
 * in version order (MERGE (UNION ALL)), stopping at the limit: a page reads about
 * `limit + arms` rows, however large the server. Past {@link MAX_ARMS} collectives the
 * general query serves (one statement per arm count is cached).
 */
import type Database from 'better-sqlite3';
import type { ChangeQuery } from '../../types.ts';
import { RECORD_COLUMNS, type RecordRow } from '../sql/record-row.ts';

/** Most collectives read arm by arm. */
export const MAX_ARMS = 64;

/** The feed's parameters besides the collectives, as the general query binds them. */
export interface FeedParams {
  readonly after: number;
  readonly exclude: string | null;
}

/** Reads of the feed limited to a few collectives; `undefined` when the general query should serve. */
export interface CollectiveFeed {
  /** The page's rows (at most `query.limit + 1`), stepped one at a time as the general statement's `iterate`. */
  page(query: ChangeQuery, params: FeedParams): IterableIterator<RecordRow> | undefined;
  count(query: ChangeQuery, params: FeedParams): number | undefined;
}

const arm = (i: number, columns: string): string =>
  `SELECT ${columns} FROM records WHERE collective = @c${i} AND version > @after AND (@exclude IS NULL OR source <> @exclude)`;

/** The collective-by-collective feed over `db` (the reader connection). */
export function collectiveFeed(db: Database.Database): CollectiveFeed {
  const pages = new Map<number, Database.Statement<[Record<string, unknown>], RecordRow>>();
  const counts = new Map<number, Database.Statement<[Record<string, unknown>], { total: number }>>();
  const arms = (query: ChangeQuery): readonly string[] | undefined =>
    query.collectives !== undefined && query.collectives.length <= MAX_ARMS ? [...new Set(query.collectives)] : undefined;
  const bind = (collectives: readonly string[], params: FeedParams): Record<string, unknown> =>
    Object.fromEntries([...Object.entries(params), ...collectives.map((collective, i) => [`c${i}`, collective])]);
  return {
    page(query, params) {
      const collectives = arms(query);
      if (collectives === undefined) return undefined;
      if (collectives.length === 0) return [][Symbol.iterator]();
      const k = collectives.length;
      let statement = pages.get(k);
      if (statement === undefined) {
        statement = db.prepare(`${Array.from({ length: k }, (_, i) => arm(i, RECORD_COLUMNS)).join(' UNION ALL ')} ORDER BY version LIMIT @limit`);
        pages.set(k, statement);
      }
      return statement.iterate({ ...bind(collectives, params), limit: query.limit + 1 });
    },
    count(query, params) {
      const collectives = arms(query);
      if (collectives === undefined) return undefined;
      if (collectives.length === 0) return 0;
      const k = collectives.length;
      let statement = counts.get(k);
      if (statement === undefined) {
        statement = db.prepare(`SELECT COALESCE(SUM(n), 0) AS total FROM (${Array.from({ length: k }, (_, i) => arm(i, 'COUNT(*) AS n')).join(' UNION ALL ')})`);
        counts.set(k, statement);
      }
      return (statement.get(bind(collectives, params)) as { total: number }).total;
    },
  };
}
