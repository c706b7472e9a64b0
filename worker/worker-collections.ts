/**
 * Collections in the worker: what `exposeSyncWorker({ collections: workerCollections })`
 * adds to the sync worker, and all that pulsesync's prebuilt collections worker has
 * beyond the default one. For a tab whose page declares collections it opens the
 * connection itself: the replica with their indexes (`openWithIndexes`), queries and
 * counts answered from them (`query-calls.ts`), and live queries re-run after the
 * changes that may alter them (`watch-registry.ts`): this tab's writes and synced
 * batches, heard from the replica, and the other tabs', heard on the tab channel.
 *
 * A worker without it carries none of this: the sync path needs nothing of it, since
 * IndexedDB keeps the indexes up to date inside each write transaction by itself.
 */
import { ErrorCode, SyncError } from '../src/protocol/errors.ts';
import { indexesOf } from '../src/query/indexes.ts';
import type { CollectionDeclarations, QueryPage, QuerySpec, WatchTarget, Where } from '../src/query/types.ts';
import { IdbReplica } from '../src/store/idb-replica.ts';
import { openWithIndexes } from '../src/store/index-upgrade.ts';
import type { CollectionCalls } from '../src/worker-api/sync-worker-api.ts';
import { Connection, type ConnectRequest } from './connection.ts';
import { plainErrors } from './expose.ts';
import { QueryCalls } from './query-calls.ts';
import type { TabMessage } from './tab-channel.ts';
import { WatchRegistry } from './watch-registry.ts';
import type { CollectionsSeam } from './collections-seam.ts';
import type { WorkerCollections } from './worker-options.ts';

/** The collections of one connected tab; see the file comment. */
class CollectionsTab implements CollectionCalls {
  readonly #queries: QueryCalls;
  readonly #watches: WatchRegistry;

  constructor(connection: Connection, declarations: CollectionDeclarations) {
    const { replica } = connection;
    // Connection.open opens its replica with openReplica, which gives an IdbReplica.
    if (!(replica instanceof IdbReplica)) throw new SyncError(ErrorCode.INTERNAL, 'collections need the IndexedDB replica');
    this.#queries = new QueryCalls(replica, declarations);
    this.#watches = new WatchRegistry(
      (target) => this.#queries.run(target),
      (payload) => connection.deliver({ type: 'watch', payload }),
    );
    connection.keep(replica.subscribe((event) => this.#watches.changed(event)));
    connection.keep(() => this.#watches.close());
  }

  /** Another tab's message: its committed changes may alter this tab's live queries. */
  heard(message: TabMessage): void {
    if (message.kind === 'event' && message.event.type === 'change') this.#watches.changed(message.event.payload);
  }

  query(collection: string, query: QuerySpec): Promise<QueryPage> {
    return this.#queries.query(collection, query);
  }

  count(collection: string, where?: Where): Promise<number> {
    return this.#queries.count(collection, where);
  }

  async watch(id: number, target: WatchTarget): Promise<void> {
    this.#watches.add(id, target);
  }

  async unwatch(id: number): Promise<void> {
    this.#watches.remove(id);
  }
}

/** Each sync worker's connected tab with collections (keyed by the SyncWorker). */
const tabs = new WeakMap<object, CollectionsTab>();

/**
 * Opens a tab's connection with its page's collections served around it; see the file
 * comment. The declarations leave the request before `Connection.open`, which refuses
 * them (it is what a worker without collections runs).
 */
async function connect(request: ConnectRequest, worker: object): Promise<Connection> {
  const { collections: declarations, ...options } = request.options;
  if (declarations === undefined) return Connection.open(request);
  // Index specs are checked here: a bad one fails the connect before anything opens.
  const indexes = [...indexesOf(declarations).values()];
  let tab: CollectionsTab | undefined;
  let connection: Connection | undefined;
  connection = await Connection.open({
    ...request,
    options,
    // Another tab's upgrade (other indexes: another version of the app) closes this
    // replica for good; the page hears it at once rather than at its next call.
    replica: { open: openWithIndexes(indexes, (error) => connection?.deliver({ type: 'error', payload: error.toJSON() })) },
    onTabMessage: (message) => {
      tab?.heard(message);
      request.onTabMessage(message);
    },
  });
  const served = new CollectionsTab(connection, declarations);
  tab = served;
  tabs.set(worker, served);
  connection.keep(() => {
    if (tabs.get(worker) === served) tabs.delete(worker);
  });
  return connection;
}

/** The collections of `worker`'s connected tab. */
function tabOf(worker: object, what: string): CollectionsTab {
  const tab = tabs.get(worker);
  if (tab === undefined) {
    throw new SyncError(ErrorCode.SHUTDOWN, `${what}: no collections are served here (the sync worker is not connected, was closed, or its page declared none)`);
  }
  return tab;
}

/** What the sync worker reaches (collections-seam.ts). */
const seam: CollectionsSeam = {
  kind: 'collections',
  connect,
  api: (worker) => ({
    query: (collection, query) => plainErrors(() => tabOf(worker, 'query').query(collection, query)),
    count: (collection, where) => plainErrors(() => tabOf(worker, 'count').count(collection, where)),
    watch: (id, target) => plainErrors(() => tabOf(worker, 'watch').watch(id, target)),
    unwatch: (id) => plainErrors(() => tabOf(worker, 'unwatch').unwatch(id)),
  }),
};

/**
 * Collections for a sync worker: give it to `exposeSyncWorker` in an app's own worker
 * whose page declares collections (pulsesync's prebuilt collections worker does).
 *
 * @example
 * import { exposeSyncWorker, workerCollections } from 'pulsesync/worker';
 * exposeSyncWorker({ collections: workerCollections, conflictResolver });
 */
export const workerCollections: WorkerCollections = seam;
