/**
 * Puts a {@link SyncWorker} on the page↔worker wire (`src/worker-api/wire.ts`, Comlink's
 * protocol). Every method's failure is sent as plain `SyncErrorData` (an Error would
 * arrive as its message alone), so the client can rebuild a SyncError with the same
 * `code`.
 */
import { WITH_COLLECTIONS } from '../src/engine/prebuilt-worker.ts';
import { ErrorCode, SyncError } from '../src/protocol/errors.ts';
import { FIELDS_BUILT } from '../src/store/field-seam.ts';
import {
  WORKER_EVENT_KEY,
  type CollectionCalls,
  type FieldCalls,
  type SyncWorkerApi,
  type WorkerConnectOptions,
  type WorkerEvent,
  type WorkerEventMessage,
  type WorkerTokenSource,
} from '../src/worker-api/sync-worker-api.ts';
import { PASSED_CALLS } from '../src/worker-api/passed-calls.ts';
import { fromWire, releaseRemote, serveWire, type WireEndpoint } from '../src/worker-api/wire.ts';
import type { CollectionsSeam } from './collections-seam.ts';
import type { FieldsSeam } from './fields-seam.ts';
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


/** A field call (`patch`, `explain`) of a worker without field-level records: refused as INVALID_CONFIG (plain SyncErrorData, as plainErrors sends). */
const withoutFields = (what: string) => () =>
  Promise.reject({ code: ErrorCode.INVALID_CONFIG, message: `${what}() needs pulsesync's full worker: createSyncClient({ worker: startFullWorker(), … })` });

/** The calls passed to the {@link SyncWorker} as they are, their failures made plain. */
const PASSED = [...PASSED_CALLS, 'initialSync'] as const satisfies readonly (keyof SyncWorkerApi & keyof SyncWorker)[];

/**
 * The API a worker exposes on `endpoint`: a {@link SyncWorker} whose every method
 * rejects with plain error data, whose events are posted on `endpoint`, and whose
 * `close()` also releases the page's token proxy. With `options.collections` it has
 * the collection calls too, with `options.fields` the field calls.
 */
export function createSyncWorkerApi(
  options: SyncWorkerOptions,
  endpoint: Pick<WireEndpoint, 'postMessage'>,
): SyncWorkerApi & Partial<CollectionCalls & FieldCalls> {
  const worker = new SyncWorker(options);
  const proxies: unknown[] = [];
  const api: Partial<Record<keyof SyncWorkerApi, unknown>> = {
    connect: (connectOptions: WorkerConnectOptions, getToken?: WorkerTokenSource) =>
      plainErrors(() => {
        proxies.push(getToken);
        const events = (event: WorkerEvent): void => endpoint.postMessage({ [WORKER_EVENT_KEY]: event } satisfies WorkerEventMessage);
        return worker.connect(connectOptions, events, getToken);
      }),
    status: () => worker.status(),
    networkBack: () => worker.networkBack(),
    // query, count, watch, unwatch: only in a worker given collections (workerCollections,
    // the only value of the opaque option).
    ...(WITH_COLLECTIONS ? (options.collections as CollectionsSeam | undefined) : undefined)?.api(worker),
    // patch, explain: only in a worker given field-level records (workerFields); in any
    // other, refused with a code and what to do (not a call the wire cannot find).
    patch: withoutFields('patch'),
    explain: withoutFields('explain'),
    ...(FIELDS_BUILT ? (options.fields as FieldsSeam | undefined)?.api(worker) : undefined),
    close: () =>
      plainErrors(async () => {
        try {
          await worker.close();
        } finally {
          for (const proxy of proxies.splice(0)) releaseRemote(proxy);
        }
      }),
  };
  for (const name of PASSED) api[name] = (...args: unknown[]) => plainErrors(() => (worker[name] as (...args: unknown[]) => unknown).apply(worker, args));
  return api as SyncWorkerApi & Partial<CollectionCalls & FieldCalls>;
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
export function exposeSyncWorker(options: SyncWorkerOptions = {}, endpoint: WireEndpoint = globalThis as unknown as WireEndpoint): void {
  serveWire(createSyncWorkerApi(options, endpoint), endpoint, fromWire);
}
