/**
 * What a manager's `status()` is made of, kept in one place: whether it runs, the runs
 * in flight, the latest failure of each kind of run (with its retry schedule), the
 * last success, online or not, and the pending count. It emits a `status` event only
 * when the status really changed.
 */
import { ErrorCode, type SyncError, type SyncErrorData } from '../protocol/errors.ts';
import type { SyncStatus } from '../protocol/types.ts';
import type { RetryState } from './backoff.ts';

/** Which run a failure came from: one of the loops, or a call (`syncOnce`, `initialSync`). */
export type RunKind = 'connect' | 'push' | 'pull' | 'manual';

/** The manager's lifecycle, as status reports it. */
export type Lifecycle = 'new' | 'running' | 'stopped';

interface Failure {
  readonly error: SyncErrorData;
  readonly retry?: RetryState;
}

/** Errors that mean "can't reach the server" rather than "the server said no". */
const DISCONNECTED_CODES: ReadonlySet<string> = new Set([ErrorCode.TRANSPORT, ErrorCode.TIMEOUT]);

/** What the book reads from its manager. */
export interface StatusSources {
  readonly lifecycle: () => Lifecycle;
  readonly pending: () => number;
  readonly now: () => number;
  readonly emit: (status: SyncStatus) => void;
  /** Hears every failure recorded with {@link SyncStatusBook.fail}, before its status. */
  readonly emitError: (error: SyncErrorData) => void;
}

/** The parts of a manager's status, and the `status` events when they change. */
export class SyncStatusBook {
  /** Offline pauses the loops; status says `disconnected` whatever else happened. */
  online = true;
  readonly #sources: StatusSources;
  readonly #failures = new Map<RunKind, Failure>();
  #inFlight = 0;
  #lastSyncedAt: number | null = null;
  #last: string;

  constructor(sources: StatusSources) {
    this.#sources = sources;
    this.#last = JSON.stringify(this.status());
  }

  /** A run begins: `syncing` until it ends. */
  runStarted(): void {
    this.#inFlight += 1;
    this.report();
  }

  /** A run ended well: its kind's failure, and any call's, are stale now. */
  runSucceeded(kind: RunKind): void {
    this.#inFlight -= 1;
    this.#lastSyncedAt = this.#sources.now();
    this.#failures.delete(kind);
    this.#failures.delete('manual');
    this.report();
  }

  /**
   * A run failed. A loop's failure is recorded by the loop (`fail`, with the retry
   * schedule it alone knows); reporting here would show the previous schedule for a moment.
   */
  runFailed(): void {
    this.#inFlight -= 1;
  }

  /** Records the latest failure of `kind` and reports it (`error`, then `status`); the latest of all is the one status shows. */
  fail(kind: RunKind, error: SyncError, retry?: RetryState): void {
    const data = error.toJSON();
    this.#failures.delete(kind); // re-insert: insertion order is what "latest" means
    this.#failures.set(kind, retry === undefined ? { error: data } : { error: data, retry });
    this.#sources.emitError(data);
    this.report();
  }

  /** Forgets the failures of `kinds` (all when none is given). */
  forget(...kinds: RunKind[]): void {
    if (kinds.length === 0) this.#failures.clear();
    for (const kind of kinds) this.#failures.delete(kind);
  }

  /** Is any failure recorded? */
  hasFailures(): boolean {
    return this.#failures.size > 0;
  }

  /** The current status. */
  status(): SyncStatus {
    const lifecycle = this.#sources.lifecycle();
    const base = { running: lifecycle === 'running', pending: this.#sources.pending(), lastSyncedAt: this.#lastSyncedAt };
    if (lifecycle === 'stopped') return { state: 'idle', ...base };
    if (!this.online) return { state: 'disconnected', ...base };
    if (this.#inFlight > 0) return { state: 'syncing', ...base };
    const failure = [...this.#failures.values()].at(-1);
    if (failure === undefined) return { state: 'idle', ...base };
    return {
      state: DISCONNECTED_CODES.has(failure.error.code) ? 'disconnected' : 'error',
      ...base,
      error: failure.error,
      ...(failure.retry === undefined ? {} : { retry: failure.retry }),
    };
  }

  /** Emits the status if it changed since the last one emitted. */
  report(): void {
    const status = this.status();
    const serialised = JSON.stringify(status);
    if (serialised === this.#last) return;
    this.#last = serialised;
    this.#sources.emit(status);
  }
}
