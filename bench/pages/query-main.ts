/**
 * The queries page (query.html): collections, indexes and live queries of pulsesync
 * (query-sdk.ts) beside plain IndexedDB doing the same in the same page
 * (query-limits.ts), as `window.pulseQuery` for bench/sections/queries.ts. A page of
 * its own, so the main bench page never loads the collections worker.
 */
import { limitPutManyIndexed, limitQueryDrop, limitQueryPages, limitQuerySeed } from './query-limits.ts';
import { liveArrival, liveOpen, liveWatch, liveWrite, sdkPutManyDeclared, sdkQueryClose, sdkQueryCounts, sdkQueryPages, sdkQuerySeed } from './query-sdk.ts';

const api = {
  sdkQuerySeed, sdkQueryPages, sdkQueryCounts, sdkPutManyDeclared, sdkQueryClose,
  limitQuerySeed, limitQueryPages, limitQueryDrop, limitPutManyIndexed,
  liveWatch, liveOpen, liveWrite, liveArrival,
};

/** What the queries page offers to the driver. */
export type PulseQueryApi = typeof api;

declare global {
  interface Window {
    pulseQuery: PulseQueryApi;
  }
}

window.pulseQuery = api;
document.title = 'pulsesync bench: queries ready';
