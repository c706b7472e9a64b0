/**
 * `pulsesync`: what a page needs. `createSyncClient` (which starts pulsesync's prebuilt
 * worker unless told otherwise), `SyncError` with its `ErrorCode`s, and the types of the
 * data and events. No validation schemas, clocks or transports: those run in the worker
 * (`pulsesync/worker`) or without one (`pulsesync/engine`). The server is
 * `pulsesync/server`.
 */
// The explicit export below wins over the star's `createSyncClient` (ES module rule):
// same API as `pulsesync/client`, plus the default worker.
export * from './client-entry.ts';
export { createSyncClient } from './client/with-default-worker.ts';
