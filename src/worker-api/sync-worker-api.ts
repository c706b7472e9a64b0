/**
 * The contract between the main-thread client and the sync worker: what crosses the
 * wire (`wire.ts`). Only plain data crosses it (errors as {@link SyncErrorData}), so
 * the client and the worker can be different bundles — and must be the same build,
 * which `SDK_VERSION` (`version.ts`) checks at connect. Both sides import this module;
 * neither imports the other.
 */
import type { AckEvent, PushOutcome, WriteReceipt } from '../engine/acks.ts';
import type { SyncConfigInput, ConflictInfo, ResetEvent } from '../engine/types.ts';
import type { SyncErrorData } from '../protocol/errors.ts';
import type { ChangeOp, InstanceId, JsonValue, RecordKey, SyncProgress, SyncStatus } from '../protocol/types.ts';
import type { PatchInput, RecordExplanation } from '../store/field-seam.ts';
import type { PendingWrite, PendingWritesOptions } from '../store/outbox-view.ts';
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

/**
 * A `change` as the page hears it. A local write's carries the values written; a pulled
 * batch's names the records it changed and how, not their values: read what you show
 * (`get`, `list`, a live query). Its values would be cloned into every tab's page, batch
 * after batch, for listeners that mostly re-read anyway: in a 1,000,000-record initial
 * sync that was all the page did, and its garbage collector held the page for 170–210 ms.
 */
export type PageChangeEvent =
  | (ChangeEvent & { readonly source: 'local' })
  | { readonly source: 'remote'; readonly changes: readonly (RecordKey & { readonly op: ChangeOp })[] };

/** An event from the worker to the main thread; `change` from any tab, the rest from the leader (but `status.pending` is counted by each tab). */
export type WorkerEvent =
  | { readonly type: 'status'; readonly payload: SyncStatus }
  | { readonly type: 'progress'; readonly payload: SyncProgress }
  | { readonly type: 'change'; readonly payload: PageChangeEvent }
  | { readonly type: 'conflict'; readonly payload: ConflictInfo }
  | { readonly type: 'error'; readonly payload: SyncErrorData }
  | { readonly type: 'ack'; readonly payload: AckEvent }
  /** The replica was replaced by an empty one (local data cleared, here or in another tab), or a client reset moved on. */
  | { readonly type: 'reset'; readonly payload: ResetEvent }
  /** A live query's result, to this tab's page only. */
  | { readonly type: 'watch'; readonly payload: WatchMessage };

/** What a tab shows before it knows anything else: not syncing, nothing pending, never synced. */
export const IDLE_STATUS: SyncStatus = { state: 'idle', running: false, pending: 0, lastSyncedAt: null };

/** Receives the worker's events. */
export type WorkerEventSink = (event: WorkerEvent) => unknown;

/**
 * Events travel on the worker's own endpoint, beside the wire's answers (which carry an
 * `id`; these do not, so the caller ignores them). One port keeps one order: a call's
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

/** Fetches a fresh token (the client's `getToken`, called back over the wire). */
export type WorkerTokenSource = () => Promise<string | undefined> | string | undefined;

/**
 * The data calls, the same in the client and the worker: answered from the local
 * replica. A write returns its receipt, to ask what the server did with it
 * (`whenPushed`).
 */
export interface RecordCalls {
  /** Writes one record (and its change-log entry) in one transaction. */
  put(collective: string, id: string, value: JsonValue): Promise<WriteReceipt>;
  /** Writes many records in one transaction: all or none. */
  putMany(records: readonly RecordInput[]): Promise<WriteReceipt>;
  /** Deletes a record (a tombstone syncs the delete). */
  delete(collective: string, id: string): Promise<WriteReceipt>;
  /** One live record, or undefined. */
  get(collective: string, id: string): Promise<RecordEntry | undefined>;
  /** Every live record of a collective, ordered by id. */
  list(collective: string): Promise<RecordEntry[]>;
}

/** Options of `clearLocalData`. */
export interface ClearLocalDataOptions {
  /** Clear even though writes are still waiting to be pushed (they are lost). Default false. */
  readonly discardPending?: boolean;
}

/**
 * The life of writes and of the replica, the same in the client and the worker: the
 * outbox, and clearing local data. Answered from the shared replica, whichever tab leads.
 */
export interface ReplicaLifeCalls {
  /** The writes waiting to be pushed, oldest first: collective, id, op, seq, age (values when asked). */
  pending(options?: PendingWritesOptions): Promise<PendingWrite[]>;
  /** Does this record have a write waiting? Cheap: one log read serves every question until the log changes. */
  isPending(collective: string, id: string): Promise<boolean>;
  /** The ids of a collective with a write waiting (a "synced?" mark per row of a list), sorted. */
  pendingIds(collective: string): Promise<string[]>;
  /**
   * Deletes this replica's local data, coordinated with every open tab of it: they let
   * go of the database, it is deleted and made anew (a new `instanceId`), and every tab
   * carries on with the empty replica (syncing again if it was) and gets a `reset` event.
   * Fails `PENDING_WRITES` while writes wait to be pushed, unless `discardPending`;
   * `DATABASE_BLOCKED` when another tab does not let go in time (a frozen tab).
   */
  clearLocalData(options?: ClearLocalDataOptions): Promise<void>;
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
 * The calls of field-level records (`field-last-write-wins`) and record history: only a
 * worker given them (`exposeSyncWorker({ fields })`, pulsesync's full worker) has them.
 */
export interface FieldCalls {
  /**
   * Writes some fields of a record, leaving the others as they are: `{ 'address.city':
   * 'Lyon', note: undefined }` sets `address.city` and deletes `note` (a list of
   * `{ path, value }` names keys that hold dots). Logged and pushed as a field-level
   * change; under `field-last-write-wins` concurrent edits of different fields both
   * stay. Returns its receipt, as `put` does. Needs that policy: fails `INVALID_CONFIG`
   * under another.
   */
  patch(collective: string, id: string, fields: PatchInput): Promise<WriteReceipt>;
  /**
   * Why the record holds its value: the write that holds each field now, and the
   * record's recent history as this replica knows it (its writers, clocks, server
   * versions, and the concurrent writes each overruled, with the rule).
   */
  explain(collective: string, id: string): Promise<RecordExplanation>;
}

/**
 * The API a sync worker exposes. Every method rejects with plain {@link SyncErrorData}
 * (never an Error object: the wire would keep only its name and message); the client rebuilds a
 * SyncError from it.
 */
export interface SyncWorkerApi extends RecordCalls, ReplicaLifeCalls {
  /** Resolves with what the server did with the write of `receipt`, once it has dealt with all of it. */
  whenPushed(receipt: WriteReceipt): Promise<PushOutcome>;
  /**
   * Checks the version, opens the replica and joins the tabs of `name`. Must come
   * first, once. From then on events arrive as {@link WorkerEventMessage}s on the
   * worker's endpoint. `getToken` (called back over the wire) is asked for a token when the
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
