/**
 * How an app's own worker module sets up sync: what cannot be sent from the page
 * (functions), and the browser globals the worker uses, injectable for tests.
 */
import { notInPrebuiltWorker } from '../src/engine/prebuilt-worker.ts';
import type { TimeSource } from '../src/engine/timers.ts';
import type { ConflictResolver } from '../src/engine/types.ts';
import type { KeyRangeFactory } from '../src/store/idb-replica.ts';
import type { SyncTransport } from '../src/transport/types.ts';
import type { LockManagerLike } from './leader-lock.ts';
import type { OnlineSignal } from './online-signal.ts';
import type { BroadcastChannelFactory } from './tab-channel.ts';

/** What a custom transport factory receives: the connection settings the client sent. */
export interface TransportSettings {
  readonly url: string;
  /** Returns the current bearer token (the client's `token`, or its `getToken`). */
  readonly getToken?: () => Promise<string | undefined>;
}

/**
 * How an app's own worker module sets up sync (functions cannot be sent to a worker,
 * so they are given here). Every field is optional.
 */
export interface SyncWorkerOptions {
  /** Builds the transport. Default: `httpTransport({ url, getToken })`. */
  readonly transport?: (settings: TransportSettings) => SyncTransport;
  /** A custom conflict resolver (see `SyncConfig.resolver`). */
  readonly conflictResolver?: ConflictResolver;
  /** Transaction durability of local writes (see `ReplicaOptions.durability`). */
  readonly durability?: IDBTransactionDurability;
  /** Default `globalThis.indexedDB`. */
  readonly indexedDB?: IDBFactory;
  /** Default `globalThis.IDBKeyRange`. */
  readonly IDBKeyRange?: KeyRangeFactory;
  /** Default `navigator.locks` (each worker leads alone where it is missing). */
  readonly locks?: LockManagerLike;
  /** Default `new BroadcastChannel(name)`. */
  readonly broadcastChannel?: BroadcastChannelFactory;
  /** Default the worker's `navigator.onLine` and `online`/`offline` events. */
  readonly online?: OnlineSignal;
  /** Clock and timers of the engine and of the worker's own waits. Default the globals. */
  readonly time?: TimeSource;
  /**
   * How long a follower's forwarded `syncOnce`/`initialSync` waits for the leader to
   * take it before failing `TIMEOUT` (a leader of another build, or frozen). Once
   * taken, the call runs as long as it needs. Default 5000 ms.
   */
  readonly leaderAnswerTimeoutMs?: number;
  /**
   * How long the tab that leads may go without a sign of life (a frozen background tab,
   * a debugger pause, a hung script) before a tab that waits to lead takes over; the
   * old leader then sends and writes nothing more. Default 10000 ms.
   */
  readonly leaderSilenceMs?: number;
  /**
   * How long `clearLocalData()` waits for the other tabs of the replica to let go of the
   * database before failing `DATABASE_BLOCKED` (a frozen tab). Default 10 000 ms.
   */
  readonly clearTimeoutMs?: number;
  /**
   * Collections in this worker: declared indexes, queries and live queries
   * (`workerCollections` from `pulsesync/worker`; pulsesync's prebuilt collections
   * worker has it). Without it, a page that declares collections is refused at connect
   * (`INVALID_CONFIG`), and the worker carries none of their code.
   */
  readonly collections?: WorkerCollections;
  /**
   * Field-level records (`conflictResolution: 'field-last-write-wins'`, `patch`) and
   * record history (`explain`): `workerFields` from `pulsesync/worker` (pulsesync's full
   * worker has it). Without it, a page configured for that policy is refused at connect
   * (`INVALID_CONFIG`), and the worker carries none of their code.
   */
  readonly fields?: WorkerFields;
}

/**
 * Collections for a sync worker: `workerCollections` from `pulsesync/worker`, opaque.
 * How the sync worker reaches them is `collections-seam.ts`.
 */
export interface WorkerCollections {
  /** What this option holds (a tag: only `workerCollections` is one). */
  readonly kind: 'collections';
}

/**
 * The option `key` of `options`, as the worker reads it. pulsesync's prebuilt workers are
 * started with no option but `collections` and `fields` (`default-worker.ts`, `collections-worker.ts`),
 * so there it is undefined, and the bundler leaves out the code that would use one
 * (see `prebuilt-worker.ts`); an app's own worker module reads what it was given.
 */
export function injected<K extends Exclude<keyof SyncWorkerOptions, 'collections' | 'fields'>>(options: SyncWorkerOptions, key: K): SyncWorkerOptions[K] | undefined {
  return notInPrebuiltWorker(options, key);
}

/**
 * Field-level records for a sync worker: `workerFields` from `pulsesync/worker`, opaque.
 * How the sync worker reaches them is `fields-seam.ts`.
 */
export interface WorkerFields {
  /** What this option holds (a tag: only `workerFields` is one). */
  readonly kind: 'fields';
}

/** Default of {@link SyncWorkerOptions.leaderAnswerTimeoutMs}. */
export const DEFAULT_LEADER_ANSWER_TIMEOUT_MS = 5000;

/** Default of {@link SyncWorkerOptions.leaderSilenceMs}. */
export const DEFAULT_LEADER_SILENCE_MS = 10_000;
