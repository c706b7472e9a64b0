/**
 * The page↔worker contract: what crosses the Comlink boundary between the client
 * (`src/client/`) and the sync worker (`worker/`). Both import it; neither imports the
 * other.
 */
export { PACKAGE_VERSION, SDK_VERSION, WORKER_API_REVISION } from './version.ts';
export { WORKER_EVENT_KEY, workerEventOf } from './sync-worker-api.ts';
export type {
  RecordCalls,
  SyncWorkerApi,
  WorkerConnectOptions,
  WorkerConnectResult,
  WorkerEvent,
  WorkerEventMessage,
  WorkerEventSink,
  WorkerSyncConfig,
  WorkerTokenSource,
} from './sync-worker-api.ts';
