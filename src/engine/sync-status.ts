/**
 * What a manager's `status()` is made of, kept in one place: whether it runs, the runs
 * in flight, the latest failure of each kind of run (with its retry schedule), the
 * last success, the cursors, online or not, and the pending count. It emits a `status`
 * event only when something a user could see changed:
 *
 * - a quiet run (the pull loop's poll or a poke's pull, once caught up) shows
 *   `syncing` only once it brings changes: on an idle device it would flap
 *   syncing/idle twice a poll for nothing;
 * - `lastSyncedAt` moving on alone (a poll that found nothing) fires nothing; the next
 *   event carries it. Its first value (never synced → synced) does fire.
 */
import { ErrorCode, type SyncError, type SyncErrorData } from '../protocol/errors.ts';
import type { SyncCursors, SyncStatus } from '../protocol/types.ts';
import type { RetryState } from './backoff.ts';
import type { SyncFacts } from './sync-facts.ts';

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
  /** Runs in flight that show as `syncing` (quiet ones do not). */
  #inFlight = 0;
  #lastSyncedAt: number | null = null;
  #cursors: SyncCursors | undefined;
  /** The last status emitted, as compared (see {@link SyncStatusBook.report}). */
  #last: string;

  constructor(sources: StatusSources) {
    this.#sources = sources;
    this.#last = this.#compared(this.status());
  }

  /** A run begins: `syncing` until it ends, unless `quiet`. */
  runStarted(quiet = false): void {
    if (quiet) return;
    this.#inFlight += 1;
    this.report();
  }

  /** A run ended well: its kind's failure, and any call's, are stale now. */
  runSucceeded(kind: RunKind, quiet = false): void {
    if (!quiet) this.#inFlight -= 1;
    this.#lastSyncedAt = this.#sources.now();
    this.#failures.delete(kind);
    this.#failures.delete('manual');
    this.report();
  }

  /**
   * A run failed. A loop's failure is recorded by the loop (`fail`, with the retry
   * schedule it alone knows); reporting here would show the previous schedule for a moment.
   */
  runFailed(quiet = false): void {
    if (!quiet) this.#inFlight -= 1;
  }

  /** When the last run went through; null before any (and nothing remembered). */
  get lastSyncedAt(): number | null {
    return this.#lastSyncedAt;
  }

  /** The cursors after a run (reported with its end). */
  setCursors(cursors: SyncCursors): void {
    this.#cursors = cursors;
  }

  /** What the replica remembered from before (a reload): shown until this manager knows better. */
  restore(facts: SyncFacts): void {
    if (this.#lastSyncedAt === null) this.#lastSyncedAt = facts.lastSyncedAt;
    if (this.#cursors === undefined && facts.cursors !== undefined) this.#cursors = facts.cursors;
    this.report();
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
    const base = {
      running: lifecycle === 'running',
      pending: this.#sources.pending(),
      lastSyncedAt: this.#lastSyncedAt,
      ...(this.#cursors === undefined ? {} : { cursors: this.#cursors }),
    };
    if (lifecycle === 'stopped') return { state: 'idle', ...base };
    if (!this.online) return { state: 'disconnected', ...base };
    if (this.#inFlight > 0) return { state: 'syncing', ...base };
    const failure = [...this.#failures.values()].at(-1);
    if (failure === undefined) return { state: 'idle', ...base };
    // A failure is kept as `{ error, retry? }`, as status shows it.
    return { state: DISCONNECTED_CODES.has(failure.error.code) ? 'disconnected' : 'error', ...base, ...failure };
  }

  /** Emits the status if it changed since the last one emitted (see the file comment). */
  report(): void {
    const status = this.status();
    const compared = this.#compared(status);
    if (compared === this.#last) return;
    this.#last = compared;
    this.#sources.emit(status);
  }

  /** A status as compared with the last emitted: `lastSyncedAt` counts only as known or not. */
  #compared(status: SyncStatus): string {
    return JSON.stringify({ ...status, lastSyncedAt: status.lastSyncedAt !== null });
  }
}
