/**
 * `createSyncClient` with pulsesync's prebuilt worker as the default. The only module
 * that knows where that worker lives, so an app that brings its own worker (and imports
 * `pulsesync/client`) never has it in its build: bundlers bundle every
 * `new Worker(new URL(…))` they can reach, whether it runs or not.
 */
import type { CollectionsOptions } from './collection-types.ts';
import { clientOn } from './sync-client.ts';
import type { CollectionsClient, DefinedCollections, SyncClient, SyncClientOptions } from './types.ts';

/**
 * Starts the default worker. `new Worker(new URL('./…', import.meta.url))` in one
 * expression is the pattern Vite and webpack 5 recognise to emit the worker as its own
 * file. In the published package `./pulsesync-worker.js` is one self-contained ESM file
 * (esbuild bundle of worker/default-worker.ts); in this repository it
 * is a one-line module importing that source, which Vite bundles the same way.
 */
function startDefaultWorker(): Worker {
  return new Worker(new URL('./pulsesync-worker.js', import.meta.url), { type: 'module', name: 'pulsesync-worker' });
}

/**
 * Starts sync for one replica: a worker running the engine (pulsesync's prebuilt worker
 * unless `options.worker` or `options.workerUrl` names another; with `collections`, the
 * prebuilt collections worker), and a client on this thread to talk to it. Returns at
 * once; calls wait for the worker to connect (see `ready`).
 *
 * @example
 * const client = createSyncClient({ name: 'notes', url: 'https://sync.example.com', token });
 * client.on('change', () => render());
 * await client.put('notes', 'n1', { title: 'Hello' });
 */
export function createSyncClient<const C extends CollectionsOptions>(
  options: SyncClientOptions & { readonly collections: DefinedCollections<C> },
): CollectionsClient<C>;
export function createSyncClient(options: SyncClientOptions): SyncClient;
export function createSyncClient(options: SyncClientOptions): SyncClient {
  if (options?.worker !== undefined || options?.workerUrl !== undefined) return clientOn(options);
  // Collections from `pulsesync`'s defineCollections bring the worker that serves them.
  const worker = (options?.collections?.startWorker ?? startDefaultWorker)();
  try {
    return clientOn({ ...options, worker });
  } catch (error) {
    // Refused options (no name, no url, bad declarations): do not leave the worker running.
    worker.terminate();
    throw error;
  }
}
