/**
 * The worker `createSyncClient()` starts when the app declares collections and gives
 * no worker: the default worker with collections (declared indexes, queries, live
 * queries). Built into its own self-contained file, so apps that declare none never
 * download it.
 */
import { exposeSyncWorker } from './expose.ts';
import { workerCollections } from './worker-collections.ts';

exposeSyncWorker({ collections: workerCollections });
