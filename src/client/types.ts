/**
 * The app's side of the client: its options and its handle on sync. What crosses to the
 * worker is in `src/worker-api/`.
 */
import type { TimeSource } from '../engine/timers.ts';
import type { SyncEngine, SyncEventMap, SyncEventName } from '../engine/types.ts';
import type { InstanceId, SyncProgress, SyncStatus } from '../protocol/types.ts';
import type { PushOutcome, WriteReceipt } from '../engine/acks.ts';
import type { FieldCalls, PageChangeEvent, RecordCalls, ReplicaLifeCalls, WorkerSyncConfig } from '../worker-api/sync-worker-api.ts';
import type { WireEndpoint } from '../worker-api/wire.ts';
import type { CollectionOf, CollectionsOptions } from './collection-types.ts';

/** The events of a {@link SyncClient}: the engine's, with `change` as the page hears it ({@link PageChangeEvent}). */
export type ClientEventMap = Omit<SyncEventMap, 'change'> & { readonly change: PageChangeEvent };

/** Options of `createSyncClient`. */
export interface SyncClientOptions {
  /** Replica (IndexedDB database) name. Tabs using the same name share data and sync once. */
  readonly name: string;
  /** Base URL of the sync server, e.g. `https://api.example.com` (routes are `${url}/sync/...`). */
  readonly url: string;
  /** A fixed bearer token. */
  readonly token?: string;
  /**
   * Returns a bearer token; called (in this thread) when the worker needs one, and again
   * after a 401. Takes precedence over `token`.
   */
  readonly getToken?: () => string | null | undefined | Promise<string | null | undefined>;
  /** Engine configuration (everything but a resolver: give that to your own worker). */
  readonly config?: WorkerSyncConfig;
  /**
   * The worker to use (your own module calling `exposeSyncWorker`), or any endpoint of
   * one (a MessagePort in tests). Default (from `pulsesync`): the prebuilt worker.
   */
  readonly worker?: Worker | WireEndpoint;
  /**
   * Where the app serves the worker script, when it serves it itself (a CDN, a bundler
   * that does not follow `new URL(…, import.meta.url)`): started as a module worker.
   * `worker` wins when both are given.
   */
  readonly workerUrl?: string | URL;
  /**
   * Ask the browser to keep this origin's storage under pressure (`navigator.storage.persist()`).
   * Where it cannot or will not, an `error` event with code `NOT_PERSISTED` (a warning:
   * sync goes on) says so, with `details.reason` `unsupported`, `denied` or `failed`.
   */
  readonly persist?: boolean;
  /** Timers of the client's own waits (connect, close). Default the globals. */
  readonly time?: TimeSource;
  /**
   * The app's collections, from `defineCollections`: typed values checked by a schema,
   * indexes, queries and live queries (`client.collection(name)`). With them the
   * client is a {@link CollectionsClient}, and the default worker is pulsesync's
   * prebuilt collections worker. An app that declares none downloads none of their code.
   */
  readonly collections?: DefinedCollections;
}

/**
 * The app's handle on sync: local data calls (answered from IndexedDB, offline too),
 * the lifecycle of PulseDB's SyncManager, and events. Every method fails with a
 * SyncError.
 */
export interface SyncClient extends Omit<SyncEngine, 'on'>, RecordCalls, ReplicaLifeCalls, FieldCalls {
  /** Resolves once the worker is connected; rejects with why it could not (`VERSION_MISMATCH`…). */
  readonly ready: Promise<void>;
  /** The replica's id, once {@link ready} (a new one after `clearLocalData`, told by `reset`). */
  instanceId(): Promise<InstanceId>;
  /**
   * Resolves once the server has dealt with the write of `receipt` (what `put`,
   * `putMany` and `delete` return): `accepted`, or `refused` with each refused change and
   * its reason (`FORBIDDEN`, `CONFLICT` under server-wins, `PAYLOAD_TOO_LARGE`,
   * `INVALID_PAYLOAD`, `LOCAL_ONLY`), or `unknown` when the replica was cleared since.
   * Works for a write made in another tab, or before a reload (keep the receipt).
   * Waits as long as the write waits (offline, say); fails `SHUTDOWN` if the client closes.
   */
  whenPushed(receipt: WriteReceipt): Promise<PushOutcome>;
  /**
   * Joins the sync: the catch-up (with `progress` events), then push and pull in the
   * background. The first tab of an app to start leads and runs the loop; others
   * follow (their writes are pushed by the leader) and take over when it goes away.
   * Resolves once joined, offline too: if the server cannot be reached yet the leader
   * keeps retrying (at once when the network returns) and `status()` says
   * `disconnected`. Rejects only for a final reason (`UNAUTHORIZED`, `FORBIDDEN`,
   * `PROTOCOL_VERSION`, `HANDSHAKE_REJECTED`), never for `TRANSPORT`.
   */
  start(): Promise<void>;
  /**
   * Awaits the catch-up: joins the one `start()` runs, or runs one (here, or by the
   * leader tab). Rejects if this attempt fails (`TRANSPORT` offline, say); a started
   * loop goes on retrying all the same. `onProgress` hears every batch.
   */
  initialSync(onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress>;
  /**
   * The status every tab shows: the leader's state (`idle` once no tab leads, e.g. after
   * the leader tab closed or crashed), with `pending` counted from the shared replica in
   * this tab, whether it leads or not.
   */
  status(): SyncStatus;
  /**
   * Listens to `status`, `progress`, `change`, `conflict`, `error`, `ack` (the server
   * dealt with a range of this replica's writes: which were refused and why, in every
   * tab) or `reset` (the replica was cleared, here or in another tab, or a client reset
   * pulled the server's data afresh: read again); returns the unsubscribe.
   *
   * `change` comes once per committed transaction, in every tab of the app: a local
   * write in any tab, or a pulled batch. A pulled batch's names the records it changed
   * (`collective`, `id`, `op`), not their values: read what you show. A local write's
   * carries the written values, so its cost grows with the write: a `putMany` of 10,000
   * records of ~200 bytes is ONE event of 10,000 entries (~2.5 MB) to every open tab's
   * page — measured in headless Chromium, ~20 ms to clone in the worker and ~25 ms from
   * worker post to page receipt, per tab. That is small beside the write itself
   * (IndexedDB takes ~0.5–1 s for it), but an app that writes in bulk may prefer to
   * re-read what it shows rather than copy `event.changes` into its state record by record.
   */
  on<K extends SyncEventName>(event: K, listener: (payload: ClientEventMap[K]) => void): () => void;
  /** Stops the worker, releases its proxies and ends the client. Safe to call twice. */
  close(): Promise<void>;
}

/** A {@link SyncClient} with declared collections. */
export interface CollectionsClient<C extends CollectionsOptions = CollectionsOptions> extends SyncClient {
  /**
   * The handle of a declared collection: typed values (from its schema), queries over
   * its indexes and live queries. Fails `INVALID_CONFIG` for a name not declared.
   */
  collection<K extends keyof C & string>(name: K): CollectionOf<C[K]>;
}

/**
 * An app's collections as `defineCollections` makes them: the declarations, and the
 * code that serves them, which only apps passing them to `createSyncClient` bundle.
 */
export interface DefinedCollections<C extends CollectionsOptions = CollectionsOptions> {
  /** The declarations, by name. */
  readonly declared: C;
  /** Makes the client (`createSyncClient` calls it). */
  readonly createClient: (options: SyncClientOptions) => CollectionsClient<C>;
  /** Starts pulsesync's prebuilt collections worker: `defineCollections` from `pulsesync` has it, from `pulsesync/client` not. */
  readonly startWorker?: () => Worker;
}
