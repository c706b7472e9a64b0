/**
 * Puts a {@link SyncWorker} behind Comlink. Every method's failure is sent as plain
 * `SyncErrorData` (Comlink would reduce an Error to its message), so the client can
 * rebuild a SyncError with the same `code`.
 */
import * as Comlink from 'comlink';
import { SyncError } from '../src/protocol/errors.ts';
import { WORKER_EVENT_KEY, type CollectionCalls, type SyncWorkerApi, type WorkerEvent, type WorkerEventMessage, type WorkerTokenSource } from '../src/worker-api/sync-worker-api.ts';
import type { CollectionsSeam } from './collections-seam.ts';
import { SyncWorker } from './sync-worker.ts';
import type { SyncWorkerOptions } from './worker-options.ts';

/** Runs `call`; a failure is rethrown as plain SyncErrorData. */
export async function plainErrors<T>(call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw SyncError.from(error).toJSON();
  }
}

/** Drops a Comlink proxy received from the page, if it is one. */
function release(value: unknown): void {
  const releaser = (value as { [Comlink.releaseProxy]?: () => void } | undefined)?.[Comlink.releaseProxy];
  if (typeof releaser === 'function') releaser.call(value);
}

/**
 * The API a worker exposes on `endpoint`: a {@link SyncWorker} whose every method
 * rejects with plain error data, whose events are posted on `endpoint`, and whose
 * `close()` also releases the page's token proxy. With `options.collections` it has
 * the collection calls too.
 */
export function createSyncWorkerApi(
  options: SyncWorkerOptions,
  endpoint: Pick<Comlink.Endpoint, 'postMessage'>,
): SyncWorkerApi & Partial<CollectionCalls> {
  const worker = new SyncWorker(options);
  const proxies: unknown[] = [];
  const events = (event: WorkerEvent): void => {
    endpoint.postMessage({ [WORKER_EVENT_KEY]: event } satisfies WorkerEventMessage);
  };
  return {
    connect: (connectOptions, getToken?: WorkerTokenSource) =>
      plainErrors(() => {
        proxies.push(getToken);
        return worker.connect(connectOptions, events, getToken);
      }),
    put: (collective, id, value) => plainErrors(() => worker.put(collective, id, value)),
    putMany: (records) => plainErrors(() => worker.putMany(records)),
    delete: (collective, id) => plainErrors(() => worker.delete(collective, id)),
    get: (collective, id) => plainErrors(() => worker.get(collective, id)),
    list: (collective) => plainErrors(() => worker.list(collective)),
    start: () => plainErrors(() => worker.start()),
    stop: () => plainErrors(() => worker.stop()),
    syncOnce: () => plainErrors(() => worker.syncOnce()),
    initialSync: () => plainErrors(() => worker.initialSync()),
    status: () => worker.status(),
    networkBack: () => worker.networkBack(),
    // query, count, watch, unwatch: only in a worker given collections (workerCollections,
    // the only value of the opaque option).
    ...(options.collections as CollectionsSeam | undefined)?.api(worker),
    close: () =>
      plainErrors(async () => {
        try {
          await worker.close();
        } finally {
          for (const proxy of proxies.splice(0)) release(proxy);
        }
      }),
  };
}

/**
 * Exposes the sync worker API on `endpoint` (default: the worker's global scope). Call
 * it from your own worker module to give sync what cannot be sent from the page: a
 * custom transport or conflict resolver.
 *
 * @example
 * // my-sync-worker.ts
 * import { exposeSyncWorker } from 'pulsesync/worker';
 * exposeSyncWorker({ conflictResolver: ({ local, remote }) => 'remote' });
 *
 * // main.ts
 * const client = createSyncClient({
 *   name: 'notes', url,
 *   worker: new Worker(new URL('./my-sync-worker.ts', import.meta.url), { type: 'module' }),
 * });
 */
export function exposeSyncWorker(options: SyncWorkerOptions = {}, endpoint: Comlink.Endpoint = globalThis as unknown as Comlink.Endpoint): void {
  Comlink.expose(createSyncWorkerApi(options, endpoint), endpoint);
}
