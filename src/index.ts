/**
 * `pulsesync`: what a page needs. `createSyncClient` (which starts pulsesync's prebuilt
 * worker unless told otherwise), `SyncError` with its `ErrorCode`s, and the types of the
 * data and events. No validation schemas, clocks or transports: those run in the worker
 * (`pulsesync/worker`) or without one (`pulsesync/engine`). The server is
 * `pulsesync/server`.
 */
// The explicit exports below win over the star's `createSyncClient` and
// `defineCollections` (ES module rule): same API as `pulsesync/client`, plus the
// default workers (with and without collections).
export * from './client-entry.ts';
export { createSyncClient } from './client/with-default-worker.ts';
export { defineCollections, startFullWorker } from './client/with-collections-worker.ts';
