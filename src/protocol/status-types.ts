/**
 * What a sync engine reports about itself (its state, cursors and progress): shared by
 * the engine, the worker and the page, but not messages of the wire (types.ts).
 */
import type { SyncErrorData } from './errors.ts';
import type { SyncCursor } from './types.ts';

/** States of a sync engine. */
export type SyncState = 'idle' | 'syncing' | 'error' | 'disconnected';

/** What a sync engine reports about itself. */
export interface SyncStatus {
  readonly state: SyncState;
  /** Is the background loop running (between `start()` and `stop()`)? */
  readonly running: boolean;
  /** Local changes not yet acknowledged by the server. */
  readonly pending: number;
  /**
   * Epoch ms of the last cycle that completed without error, or null; kept in the
   * replica, so it survives a reload. While idle it moves on with each quiet safety poll
   * without a `status` event of its own (the next event carries it).
   */
  readonly lastSyncedAt: number | null;
  /** Where sync stands with the server last synced with; absent until known. */
  readonly cursors?: SyncCursors;
  /** The last failure, while `state` is `error` or `disconnected`. */
  readonly error?: SyncErrorData;
  /** Retry schedule after failures; absent when the last cycle succeeded. */
  readonly retry?: {
    readonly attempt: number;
    readonly nextDelayMs: number;
    /** Past `maxRetries`: still retrying, at the cap. */
    readonly exhausted: boolean;
  };
}

/** A replica's two cursors with one server. */
export interface SyncCursors {
  /** The highest local seq the server has dealt with (acknowledged). */
  readonly push: number;
  /** The last server version pulled and applied. */
  readonly pull: SyncCursor;
}

/** Progress of an initial sync, reported after each batch. */
export interface SyncProgress {
  readonly batch: number;
  readonly totalPulled: number;
  readonly hasMore: boolean;
  /** Changes to pull in all, known from the first batch on. */
  readonly total: number;
}
