/**
 * The public shape of the sync engine: its configuration (PulseDB's `SyncConfig` in
 * camelCase), its events and the manager's API. `SyncManager` in `sync-manager.ts`
 * implements {@link SyncEngine}.
 */
import type { ConflictPolicy, JsonValue, PulledChange, RecordState, SyncProgress, SyncStatus } from '../protocol/types.ts';
import type { SyncErrorData } from '../protocol/errors.ts';
import type { FieldLoss } from '../store/field-seam.ts';
import type { ChangeEvent, SnapshotCause } from '../store/types.ts';
import type { AckEvent } from './acks.ts';

/** Which way changes flow. */
export type SyncDirection = 'push-only' | 'pull-only' | 'bidirectional';

/** PulseDB's `RetryConfig`: exponential backoff after a failed cycle. */
export interface RetryConfig {
  /** First delay after a failure. Default 500 ms. */
  readonly initialDelayMs: number;
  /** Factor applied after each further failure. Default 2. */
  readonly multiplier: number;
  /** Longest delay. Default 30 000 ms. */
  readonly maxDelayMs: number;
  /** After this many failures in a row status says `exhausted`; retries go on at the cap. Default 10. */
  readonly maxRetries: number;
}

/** A conflict the engine met, as reported to the app. */
export interface ConflictInfo {
  readonly collective: string;
  readonly id: string;
  readonly policy: ConflictPolicy;
  /** The local change that lost or was merged (field-level: the record this replica held). */
  readonly local: RecordState;
  /** The server's state (null: the server has none). */
  readonly remote: PulledChange | null;
  /**
   * What the replica holds now: `local`, `remote`, or `merged` (by a custom resolver, or,
   * under `field-last-write-wins`, the fields that did not lose beside those that won).
   */
  readonly outcome: 'local' | 'remote' | 'merged';
  /** A sentence for logs and UIs: which value won and why. */
  readonly reason: string;
  /** Under `field-last-write-wins`: each field this replica lost, what it had and what won. */
  readonly fields?: readonly FieldLoss[];
}

/** What a custom resolver returns: keep one side, or a merged value (or a delete). */
export type ConflictResolution =
  | 'local'
  | 'remote'
  | { readonly value: JsonValue }
  | { readonly delete: true };

/** A custom conflict resolver: called when a local change meets a newer server state. */
export type ConflictResolver = (conflict: {
  readonly collective: string;
  readonly id: string;
  readonly local: RecordState;
  readonly remote: PulledChange | null;
}) => ConflictResolution;

/** Engine configuration; every field has a default (see `DEFAULT_SYNC_CONFIG`). */
export interface SyncConfig {
  readonly direction: SyncDirection;
  readonly conflictResolution: ConflictPolicy;
  /** Optional merge function; runs under either policy when a local change conflicts. */
  readonly resolver?: ConflictResolver;
  /** Changes per push request, and per pull request unless `pullBatchSize` is given. Default 500. */
  readonly batchSize: number;
  /**
   * Changes per pull request (the server may send fewer: its `maxPullBatchSize` and
   * byte cap). Default 2000, or `batchSize` when only that is given. Larger pulls mean
   * fewer requests and transactions for a catch-up, and a larger batch held in the
   * worker: measured in Chromium on a 100k initial sync, 2000 ran ~13% faster than 500
   * with a peak worker heap of ~20 MB instead of ~9 MB.
   */
  readonly pullBatchSize: number;
  /** Background push interval. Default 1000 ms. */
  readonly pushIntervalMs: number;
  /** Background pull interval. Default 1000 ms. */
  readonly pullIntervalMs: number;
  /**
   * Background pull interval while the live channel is connected: pokes bring changes
   * at once, so this is only a safety poll (a poke lost on the way). Default 30 000 ms.
   */
  readonly livePullIntervalMs: number;
  readonly retry: RetryConfig;
  /** Sync only these collectives; undefined = all. */
  readonly collectives?: readonly string[];
  /**
   * A pulled change whose clock is further ahead of this device's clock than this is
   * applied, but its clock is not adopted. Default and most: 5 minutes (see
   * `DEFAULT_MAX_CLOCK_DRIFT_MS`).
   */
  readonly maxClockDriftMs: number;
}

/** What callers may pass: any subset, nested `retry` too. */
export type SyncConfigInput = Partial<Omit<SyncConfig, 'retry'>> & { readonly retry?: Partial<RetryConfig> };

/**
 * The replica was replaced by an empty one: its local data were cleared
 * (`clearLocalData()`, in this tab or another). Whatever the app shows from it is gone;
 * read again. Writes made before it are `unknown` to `whenPushed`.
 */
export interface ClearedEvent {
  readonly cause: 'local-data-cleared';
  /** The identity of the new, empty replica. */
  readonly instanceId: string;
}

/**
 * A client reset moved on (see `identity-renewal.ts`): the server refused the pull
 * cursor, `cursor-expired` (it swept tombstones after it) or `cursor-ahead` (a restored
 * or replaced server), so the replica pulls a fresh snapshot (under the same identity),
 * pending writes kept and pushed again. `started`, then `done` when the snapshot's last
 * page is in (`dropped`: local records it no longer held, now gone), or `failed` when
 * the server refused again for the same cause (the run then fails with that code).
 */
export interface SnapshotResetEvent {
  readonly cause: SnapshotCause;
  readonly phase: 'started' | 'done' | 'failed';
  /** The identity the replica syncs as. */
  readonly instanceId: string;
  readonly dropped?: number;
}

/** The replica was replaced or reset: what the app shows from it may be stale, so read again. */
export type ResetEvent = ClearedEvent | SnapshotResetEvent;

/** Events a sync engine emits. */
export interface SyncEventMap {
  readonly status: SyncStatus;
  readonly progress: SyncProgress;
  readonly change: ChangeEvent;
  readonly conflict: ConflictInfo;
  readonly error: SyncErrorData;
  /** The server has dealt with a range of this replica's changes (see `AckEvent`). */
  readonly ack: AckEvent;
  /** The replica was replaced (the sync worker's) or reset (the manager's); see `ResetEvent`. */
  readonly reset: ResetEvent;
}

/** Name of an engine event. */
export type SyncEventName = keyof SyncEventMap;

/** The lifecycle API both the in-worker SyncManager and the main-thread client offer. */
export interface SyncEngine {
  /**
   * Runs sync in the background: handshake (retried until it goes through), the
   * catch-up with `progress` events, then push and pull. Rejects only on a final refusal
   * (`UNAUTHORIZED`, `FORBIDDEN`, `PROTOCOL_VERSION`, `HANDSHAKE_REJECTED`), or
   * `ALREADY_STARTED` if running.
   */
  start(): Promise<void>;
  /** Waits for the cycle in flight, then stops; status ends `idle`. Safe to call twice. */
  stop(): Promise<void>;
  /** One push + pull cycle (pulling until caught up), handshaking first if needed. */
  syncOnce(): Promise<void>;
  /** Pulls in batches until caught up, saving the cursor with each and reporting progress (joining a catch-up in flight). */
  initialSync(onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress>;
  /** The current status. */
  status(): SyncStatus;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends SyncEventName>(event: K, listener: (payload: SyncEventMap[K]) => void): () => void;
}
