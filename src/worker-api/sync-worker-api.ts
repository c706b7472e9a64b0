/**
 * The contract between the main-thread client and the sync worker: what crosses the
 * Comlink boundary. Only plain data crosses it (errors as {@link SyncErrorData}), so
 * the client and the worker can be different bundles — and must be the same build,
 * which `SDK_VERSION` (`version.ts`) checks at connect. Both sides import this module;
 * neither imports the other.
 */
import type { SyncConfigInput, ConflictInfo } from '../engine/types.ts';
import type { SyncErrorData } from '../protocol/errors.ts';
import type { InstanceId, JsonValue, SyncProgress, SyncStatus } from '../protocol/types.ts';
import type { ChangeEvent, RecordEntry, RecordInput } from '../store/types.ts';
import type { CollectionDeclarations, QueryPage, QuerySpec, WatchMessage, WatchTarget, Where } from '../query/types.ts';

/** The engine configuration that can cross to a worker: everything but functions. */
export type WorkerSyncConfig = Omit<SyncConfigInput, 'resolver'>;

/** What the client sends when it connects to its worker. */
export interface WorkerConnectOptions {
  /** `SDK_VERSION` of the client; the worker refuses another. */
  readonly version: string;
  /** Replica (IndexedDB database) name; tabs with the same name share it and elect one leader. */
  readonly name: string;
  /** Base URL of the sync server (routes are `${url}/sync/...`). */
  readonly url: string;
  /** A fixed bearer token. */
  readonly token?: string;
  /** The client has a `getToken` function; the worker calls it through the proxy it receives. */
  readonly hasGetToken?: boolean;
  readonly config?: WorkerSyncConfig;
  /**
   * The app's collections: their indexes (made in the replica) and app-data versions.
   * A worker without collections ignores them (it carries none of their code); the
   * page's first collection call then fails `INVALID_CONFIG` (`collections-client.ts`).
   */
  readonly collections?: CollectionDeclarations;
}

/** What the worker answers to connect. */
export interface WorkerConnectResult {
  readonly version: string;
  readonly instanceId: InstanceId;
  readonly status: SyncStatus;
}

/** An event from the worker to the main thread; `change` from any tab, the rest from the leader (but `status.pending` is counted by each tab). */
export type WorkerEvent =
  | { readonly type: 'status'; readonly payload: SyncStatus }
  | { readonly type: 'progress'; readonly payload: SyncProgress }
  | { readonly type: 'change'; readonly payload: ChangeEvent }
  | { readonly type: 'conflict'; readonly payload: ConflictInfo }
  | { readonly type: 'error'; readonly payload: SyncErrorData }
  /** A live query's result, to this tab's page only. */
  | { readonly type: 'watch'; readonly payload: WatchMessage };

/** Receives the worker's events. */
export type WorkerEventSink = (event: WorkerEvent) => unknown;

/**
 * Events travel on the worker's own endpoint, beside Comlink's replies (which carry an
 * `id`; these do not, so Comlink ignores them). One port keeps one order: a call's
 * answer comes after every event the call caused.
 */
export const WORKER_EVENT_KEY = 'pulsesync:event';

/** The message an event travels in. */
export interface WorkerEventMessage {
  readonly [WORKER_EVENT_KEY]: WorkerEvent;
}

/** The event carried by `data`, if it is a {@link WorkerEventMessage}. */
export function workerEventOf(data: unknown): WorkerEvent | undefined {
  if (typeof data !== 'object' || data === null || !(WORKER_EVENT_KEY in data)) return undefined;
  return (data as WorkerEventMessage)[WORKER_EVENT_KEY];
}

/** Fetches a fresh token (a Comlink proxy of the client's `getToken`). */
export type WorkerTokenSource = () => Promise<string | undefined> | string | undefined;

/** The data calls, the same in the client and the worker: answered from the local replica. */
export interface RecordCalls {
  /** Writes one record (and its change-log entry) in one transaction. */
  put(collective: string, id: string, value: JsonValue): Promise<void>;
  /** Writes many records in one transaction: all or none. */
  putMany(records: readonly RecordInput[]): Promise<void>;
  /** Deletes a record (a tombstone syncs the delete). */
  delete(collective: string, id: string): Promise<void>;
  /** One live record, or undefined. */
  get(collective: string, id: string): Promise<RecordEntry | undefined>;
  /** Every live record of a collective, ordered by id. */
  list(collective: string): Promise<RecordEntry[]>;
}

/**
 * The calls behind collections (`client.collection(name)`), over the declared indexes:
 * only a worker given collections (`exposeSyncWorker({ collections })`, the prebuilt
 * collections worker) has them.
 */
export interface CollectionCalls {
  /** A page of a declared collection's records. */
  query(collection: string, query: QuerySpec): Promise<QueryPage>;
  /** How many records of a declared collection pass `where`. */
  count(collection: string, where?: Where): Promise<number>;
  /** Starts live query `id` (the page's number); its results arrive as `watch` events, the first at once. */
  watch(id: number, target: WatchTarget): Promise<void>;
  /** Ends live query `id`. */
  unwatch(id: number): Promise<void>;
}

/**
 * The API a sync worker exposes. Every method rejects with plain {@link SyncErrorData}
 * (never an Error object: Comlink would keep only its message); the client rebuilds a
 * SyncError from it.
 */
export interface SyncWorkerApi extends RecordCalls {
  /**
   * Checks the version, opens the replica and joins the tabs of `name`. Must come
   * first, once. From then on events arrive as {@link WorkerEventMessage}s on the
   * worker's endpoint. `getToken` (a Comlink proxy) is asked for a token when the
   * client has one.
   */
  connect(options: WorkerConnectOptions, getToken?: WorkerTokenSource): Promise<WorkerConnectResult>;
  /** Joins the sync: runs the loop if this tab becomes leader, else waits its turn. */
  start(): Promise<void>;
  /** Leaves the sync; a leader hands over to the next tab that wants it. */
  stop(): Promise<void>;
  /** One cycle, run here if this tab leads (or nobody does), else by the leader. */
  syncOnce(): Promise<void>;
  /** Initial catch-up, run here or by the leader; progress arrives as `progress` events. */
  initialSync(): Promise<SyncProgress>;
  status(): SyncStatus;
  /**
   * The page saw the network come back (its `online` event). Chromium fires no
   * online/offline events inside workers, so the page relays this one: a leader waiting
   * out a backoff retries at once.
   */
  networkBack(): void;
  /** Stops, leaves the tabs, closes the replica and releases the token proxy. */
  close(): Promise<void>;
}
