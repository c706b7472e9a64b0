/**
 * `defineCollections` with pulsesync's prebuilt collections worker as the default, and
 * `startFullWorker` for field-level records: the only module that knows where that
 * worker lives, so only apps that declare collections or start it have it in their
 * build (bundlers emit every `new Worker(new URL(…))` they can reach, whether it runs
 * or not).
 */
import type { CollectionsOptions } from './collection-types.ts';
import { defineCollections as defineWithoutWorker } from './define-collections.ts';
import type { DefinedCollections } from './types.ts';

/**
 * Starts pulsesync's full worker, the collections worker: one self-contained ESM file
 * in the published package (the default worker with collections' indexes, queries and
 * live queries, and field-level records: `field-last-write-wins`, `patch`, `explain`),
 * and in this repository a one-line module importing its source. The pattern in one
 * expression is what Vite and webpack 5 recognise (see with-default-worker.ts).
 *
 * `createSyncClient` starts it for collections; for field-level records without
 * collections, give it as `worker` (the default worker refuses their policy at connect).
 *
 * @example
 * const client = createSyncClient({ name: 'todos', url, worker: startFullWorker(), config: { conflictResolution: 'field-last-write-wins' } });
 * await client.patch('todos', id, { done: true });
 */
export function startFullWorker(): Worker {
  return new Worker(new URL('./pulsesync-worker-collections.js', import.meta.url), { type: 'module', name: 'pulsesync-worker' });
}

/**
 * Declares the app's collections, for `createSyncClient({ collections })`: by name
 * (the collective their records live in), each with an optional schema (any Standard
 * Schema), indexes and app-data version. The client then starts pulsesync's prebuilt
 * collections worker unless given one. Only an app that calls it pays for collections.
 *
 * @example
 * const collections = defineCollections({ todos: { schema: Todo, indexes: ['createdAt'] } });
 * const client = createSyncClient({ name: 'todos', url, collections });
 * const page = await client.collection('todos').query({ orderBy: 'createdAt', limit: 50 });
 */
export function defineCollections<const C extends CollectionsOptions>(collections: C): DefinedCollections<C> {
  return { ...defineWithoutWorker(collections), startWorker: startFullWorker };
}
