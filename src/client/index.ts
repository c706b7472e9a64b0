/**
 * The main-thread client of pulsesync: `createSyncClient()` starts the sync worker and
 * returns the app's handle on it.
 */
export { createSyncClient } from './with-default-worker.ts';
export { defineCollections } from './with-collections-worker.ts';
export type { CollectionsClient, DefinedCollections, SyncClient, SyncClientOptions } from './types.ts';
export { SDK_VERSION } from '../worker-api/version.ts';
export type {
  SyncWorkerApi,
  WorkerConnectOptions,
  WorkerConnectResult,
  WorkerEvent,
  WorkerSyncConfig,
} from '../worker-api/sync-worker-api.ts';
