/**
 * The main-thread client of pulsesync: `createSyncClient()` starts the sync worker and
 * returns the app's handle on it.
 */
export { createSyncClient } from './with-default-worker.ts';
export type { SyncClient, SyncClientOptions } from './sync-client.ts';
export { SDK_VERSION } from './worker-protocol.ts';
export type {
  SyncWorkerApi,
  WorkerConnectOptions,
  WorkerConnectResult,
  WorkerEvent,
  WorkerSyncConfig,
} from './worker-protocol.ts';
