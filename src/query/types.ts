/**
 * The plain data of queries: what a page asks the worker (a where, an order, a page) and
 * what comes back. Everything here crosses the worker boundary, so it is data only:
 * schemas and migrations (functions) stay on the page.
 */
import type { SyncErrorData } from '../protocol/errors.ts';
import type { JsonValue } from '../protocol/types.ts';
import type { RecordEntry } from '../store/types.ts';

/**
 * A value an IndexedDB index holds: a string or a number. Booleans, null and objects
 * are not IndexedDB keys; a condition on them is answered by a scan.
 */
export type IndexKey = string | number;

/**
 * A declared index of a collection: one value path (`'createdAt'`, `'author.name'`) or
 * several, a compound index (`['listId', 'createdAt']`).
 */
export type IndexSpec = string | readonly string[];

/** A condition on one value path. A bare value means equality. */
export type Condition =
  | IndexKey
  | boolean
  | null
  | { readonly eq: IndexKey | boolean | null }
  | { readonly gt?: IndexKey; readonly gte?: IndexKey; readonly lt?: IndexKey; readonly lte?: IndexKey }
  | { readonly startsWith: string }
  | { readonly anyOf: readonly IndexKey[] };

/** Conditions by value path, all of which must hold. */
export type Where = { readonly [path: string]: Condition | undefined };

/**
 * Where a page of results ended: pass it as `after` to read the next page. Opaque; it
 * stays valid across writes (the next page starts after this record's position).
 */
export type QueryCursor = readonly JsonValue[] & { readonly __queryCursor?: never };

/** A query over one collection, answered in the worker from its indexes. */
export interface QuerySpec {
  /** Conditions; on an indexed path they pick the index, on others they filter (a scan). */
  readonly where?: Where;
  /**
   * The value path to order by. It must be served by a declared index: the path itself,
   * or the next path of a compound index after the paths `where` fixes by equality.
   * Without it, results come in the order of the index that serves `where`, else by id.
   */
  readonly orderBy?: string;
  /** Largest first. */
  readonly reverse?: boolean;
  /** At most this many records (and a `next` cursor when there are more). */
  readonly limit?: number;
  /** Continue after this cursor (a previous page's `next`). */
  readonly after?: QueryCursor | undefined;
}

/** One record of a page: its id and value as stored (all a collection reads, and less to copy). */
export interface StoredEntry {
  readonly id: string;
  readonly value: JsonValue;
}

/** A page of records as the worker answers it. */
export interface QueryPage {
  readonly records: readonly StoredEntry[];
  /** Present when more records follow: the `after` of the next page. */
  readonly next?: QueryCursor;
}

/** What a collection tells the worker: plain data (its schema and migration stay on the page). */
export interface CollectionDeclaration {
  readonly indexes?: readonly IndexSpec[];
  /**
   * The app-data version this client reads. Values of a newer version (written by a
   * newer client) are kept and synced but left out of query results.
   */
  readonly version?: number;
}

/** The collections of a client, by name (the collective their records live in). */
export type CollectionDeclarations = { readonly [collection: string]: CollectionDeclaration };

/** What a live query watches. */
export type WatchTarget =
  | { readonly kind: 'query'; readonly collection: string; readonly query: QuerySpec }
  | { readonly kind: 'count'; readonly collection: string; readonly where?: Where }
  | { readonly kind: 'record'; readonly collection: string; readonly id: string };

/** A watch's answer: a page, a count, or the record (undefined when absent). */
export type WatchResult = QueryPage | number | RecordEntry | undefined;

/** What a watch sends its page: its new result, or why a run failed (the watch stays). */
export type WatchMessage = { readonly id: number; readonly result: WatchResult } | { readonly id: number; readonly error: SyncErrorData };

/** The key in a value that says which app-data version wrote it (absent: version 1). */
export const VERSION_KEY = '$v';
