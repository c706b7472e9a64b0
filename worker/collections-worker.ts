/**
 * pulsesync's full worker, which `createSyncClient()` starts when the app declares
 * collections or configures `field-last-write-wins`, and gives no worker: the default
 * worker with collections (declared indexes, queries, live queries) and field-level
 * records (patches, the field merge, record history for `explain`). Built into its own
 * self-contained file (`pulsesync-worker-collections.js`), so apps that use neither
 * never download it.
 */
import { exposeSyncWorker } from './expose.ts';
import { workerCollections } from './worker-collections.ts';
import { workerFields } from './worker-fields.ts';

exposeSyncWorker({ collections: workerCollections, fields: workerFields });
