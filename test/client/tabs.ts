/**
 * "Tabs" in one Node process: each is a sync worker API exposed (exposeSyncWorker) on one
 * end of a MessageChannel and a `createSyncClient` on the other, as page and worker
 * would be. Tabs of one {@link TabsWorld} share a fake IndexedDB, a lock manager and a
 * sync server (memory store, memory transport that counts requests); BroadcastChannel
 * is Node's own.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import type { CollectionsOptions } from '../../src/client/collection-types.ts';
import { createSyncClient } from '../../src/client/sync-client.ts';
import type { CollectionsClient, DefinedCollections, SyncClient, SyncClientOptions } from '../../src/client/types.ts';
import type { Access } from '../../src/server/access.ts';
import { createSyncServer, type SyncServer } from '../../src/server/sync-server.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { memoryTransport } from '../../src/transport/memory-transport.ts';
import type { SyncTransport } from '../../src/transport/types.ts';
import { exposeSyncWorker } from '../../worker/expose.ts';
import { workerCollections } from '../../worker/worker-collections.ts';
import { workerFields } from '../../worker/worker-fields.ts';
import type { SyncWorkerOptions, TransportSettings } from '../../worker/worker-options.ts';
import { stealableLocks } from '../worker/stealable-locks.ts';

type Route = 'handshake' | 'push' | 'pull' | 'health';

/** Worker options of one tab; `undefined` takes an option away (`collections: undefined`: a worker without them). */
export type TabWorkerOptions = { readonly [K in keyof SyncWorkerOptions]?: SyncWorkerOptions[K] | undefined };

let worlds = 0;

/** A replica name, a server and the browser-wide things tabs share. */
export function tabsWorld(
  options: {
    /** Share another world's server: this world is then another device. */
    server?: SyncServer;
    workerOptions?: Partial<SyncWorkerOptions>;
    /** Wraps each tab's transport (`tab` is 1-based, in opening order). */
    transport?: (inner: SyncTransport, tab: number) => SyncTransport;
    /** Who the tabs are to the server (default: full access). */
    access?: Access;
    /** Open the server's live (poke) channel. Default false: requests come from loops and nudges only. */
    live?: boolean;
  } = {},
) {
  const name = `tabs-${++worlds}-${Date.now()}`;
  const server = options.server ?? createSyncServer({ store: memoryServerStore() });
  const indexedDB = new IDBFactory();
  // One lock manager for the world; each tab requests as its own client, and the test
  // itself as one more (`world.locks`), as pages of one origin share navigator.locks.
  const sharedLocks = stealableLocks();
  const locks = Object.assign(sharedLocks.client('test'), { held: (lock: string) => sharedLocks.holder(lock) !== undefined });
  const requests: { route: Route; tab: number }[] = [];
  const tokens: (string | undefined)[] = [];
  /** `collective/id@seq` of every change sent in a push. */
  const pushed: string[] = [];
  const clients: SyncClient[] = [];

  function countingTransport(tab: number, settings: TransportSettings): SyncTransport {
    const inner = memoryTransport(server, { live: options.live === true, ...(options.access === undefined ? {} : { access: options.access }) });
    const wrap =
      <A extends unknown[], R>(route: Route, call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        requests.push({ route, tab });
        tokens.push(await settings.getToken?.());
        return call(...args);
      };
    const counted: SyncTransport = {
      handshake: wrap('handshake', (r) => inner.handshake(r)),
      push: wrap('push', (r) => {
        for (const change of r.changes) pushed.push(`${change.collective}/${change.id}@${change.seq}`);
        return inner.push(r);
      }),
      pull: wrap('pull', (r) => inner.pull(r)),
      health: wrap('health', () => inner.health()),
      ...(inner.live === undefined ? {} : { live: inner.live.bind(inner) }),
    };
    return options.transport?.(counted, tab) ?? counted;
  }

  let tabs = 0;
  /**
   * Opens a tab: a worker API on one port, a client on the other; `workerOptions` for
   * this tab alone. A page that declares collections gets a worker with them, and one
   * configured for `field-last-write-wins` a worker with field-level records, unless
   * `workerOptions` says otherwise (`collections: undefined`, `fields: undefined`).
   */
  function open<const C extends CollectionsOptions>(
    clientOptions: Partial<SyncClientOptions> & { readonly collections: DefinedCollections<C> },
    workerOptions?: TabWorkerOptions,
  ): CollectionsClient<C> & { readonly tab: number };
  function open(clientOptions?: Partial<SyncClientOptions>, workerOptions?: TabWorkerOptions): SyncClient & { readonly tab: number };
  function open(clientOptions: Partial<SyncClientOptions> = {}, workerOptions: TabWorkerOptions = {}): SyncClient & { readonly tab: number } {
    const tab = ++tabs;
    const { port1, port2 } = new MessageChannel();
    const merged: TabWorkerOptions = {
      indexedDB,
      IDBKeyRange,
      locks: sharedLocks.client(`tab-${tab}`),
      transport: (settings) => countingTransport(tab, settings),
      ...(clientOptions.collections === undefined ? {} : { collections: workerCollections }),
      // As an app gives pulsesync's full worker (startFullWorker) for this policy.
      ...(clientOptions.config?.conflictResolution === 'field-last-write-wins' ? { fields: workerFields } : {}),
      ...options.workerOptions,
      ...workerOptions,
    };
    const given = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined)) as SyncWorkerOptions;
    exposeSyncWorker(given, port1);
    const client = createSyncClient({ name, url: 'memory://server', worker: port2, ...clientOptions });
    const closeClient = client.close.bind(client);
    const handle = Object.assign(client, {
      tab,
      // The "tab" goes away: the page closes its port, and the worker side too.
      close: async () => {
        await closeClient();
        port1.close();
      },
    });
    clients.push(handle);
    return handle;
  }

  return {
    name,
    server,
    indexedDB,
    locks,
    requests,
    tokens,
    pushed,
    /** Requests of `route` so far, from `tab` (1-based) or all. */
    count(route: Route, tab?: number): number {
      return requests.filter((r) => r.route === route && (tab === undefined || r.tab === tab)).length;
    },
    open,
    async closeAll(): Promise<void> {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}
