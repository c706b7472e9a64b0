/**
 * The shape of `window.pulseQuery` (query-main.ts): collections, their indexes and live
 * queries in a page, beside the same work done with raw IndexedDB in the same page.
 * Declared on its own so the Node driver type-checks without the page bundle.
 */

/** Milliseconds of each page read, SDK and raw, interleaved. */
export interface PageTimes {
  readonly sdkMs: readonly number[];
  readonly rawMs: readonly number[];
  /** A `count()` over the same index range: the worker round trip with no record to copy. */
  readonly countMs: readonly number[];
}

/** What the query bench page offers the driver. */
export interface PulseQueryApi {
  /** Writes `count` records into a replica with an index on `n`, and the same into a raw database with the same index (not timed). */
  seed(options: { name: string; count: number; bytes: number }): Promise<void>;
  /** Reads `pages` pages of 50 by the `n` index from `fromN` on, SDK query and raw getAll interleaved page by page. */
  pages(options: { name: string; pages: number; fromN: number }): Promise<PageTimes>;
  /** Times one putMany of `count` records into a fresh database: through a collection with indexes on n and title, through the client with nothing declared, or raw IndexedDB with the same two indexes. */
  putMany(options: { count: number; bytes: number; mode: 'indexed' | 'plain' | 'raw' }): Promise<number>;
  /** Opens a client of replica `name` (tab A) watching a live count of `live`, noting when each count arrives. */
  watchCount(options: { name: string }): Promise<void>;
  /** Opens a client of replica `name` in this tab (tab B), for `write`. */
  openWriter(options: { name: string }): Promise<void>;
  /** Puts record `k` in `live` from this tab; resolves with when it started (timeOrigin + now). */
  write(options: { name: string; k: number }): Promise<number>;
  /** When the live count reached `count` in this tab (timeOrigin + now); NaN after the timeout. */
  countArrival(options: { count: number; timeoutMs: number }): Promise<number>;
  /** Closes this page's clients and deletes their databases. */
  dispose(): Promise<void>;
}

declare global {
  interface Window {
    pulseQuery: PulseQueryApi;
  }
}
