/**
 * How the sync worker reaches collections when it is given them: the parts of
 * `workerCollections` (worker-collections.ts) behind the opaque `WorkerCollections` of
 * its options. Types only: a worker without collections imports none of their code.
 */
import type { CollectionCalls } from '../src/worker-api/sync-worker-api.ts';
import type { Connection, ConnectRequest } from './connection.ts';
import type { WorkerCollections } from './worker-options.ts';

/** What `SyncWorkerOptions.collections` holds: `workerCollections`, the only `WorkerCollections`. */
export interface CollectionsSeam extends WorkerCollections {
  /**
   * Opens the connection of `worker`'s tab in place of `Connection.open`: a page's
   * declared collections served around it (the replica's indexes, the tab's queries
   * and live queries), or a plain connection when it declares none.
   */
  readonly connect: (request: ConnectRequest, worker: object) => Promise<Connection>;
  /** The collection calls of the worker API, each on `worker`'s connected tab. */
  readonly api: (worker: object) => CollectionCalls;
}
