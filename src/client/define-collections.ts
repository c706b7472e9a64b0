/**
 * `defineCollections` for apps that bring their own worker (`pulsesync/client`): the
 * declarations and the client that serves them, with no default worker. The
 * `pulsesync` entry's adds pulsesync's prebuilt collections worker
 * (with-collections-worker.ts).
 */
import type { CollectionsOptions } from './collection-types.ts';
import { CollectionsSyncClient } from './collections-client.ts';
import type { DefinedCollections } from './types.ts';
import { requireWorker } from './worker-endpoint.ts';

/**
 * Declares the app's collections, for `createSyncClient({ collections })`: by name
 * (the collective their records live in), each with an optional schema (any Standard
 * Schema), indexes and app-data version. Only an app that calls it pays for collections.
 *
 * @example
 * const collections = defineCollections({ todos: { schema: Todo, indexes: ['createdAt'] } });
 * const client = createSyncClient({ name: 'todos', url, collections });
 * const page = await client.collection('todos').query({ orderBy: 'createdAt', limit: 50 });
 */
export function defineCollections<const C extends CollectionsOptions>(collections: C): DefinedCollections<C> {
  return {
    declared: collections,
    createClient: (options) => {
      requireWorker(options); // as createSyncClient from 'pulsesync/client' does, for a call of its own
      return new CollectionsSyncClient(options, collections);
    },
  };
}
