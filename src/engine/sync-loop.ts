/**
 * One background loop: runs a cycle, waits, runs it again; after a failure it waits
 * the backoff delay instead. The manager runs three: connect (the handshake, until it
 * goes through once), then push and pull, each on its own interval. The loop owns
 * timers and retries; what a cycle does belongs to its delegate (the shape of
 * Replicache's `connection-loop.ts`).
 *
 * ```
 *                 start()
 *   ┌────────┐ ─────────────────► ┌─────────┐  timer fires, or request()  ┌─────────┐
 *   │ closed │                    │ waiting │ ──────────────────────────► │ running │
 *   └────────┘ ◄───────────────── └─────────┘ ◄────────────────────────── └─────────┘
 *       ▲          close()          │    ▲      success: wait intervalMs       │
 *       │                  pause()  │    │ resume()  failure: wait backoff     │
 *       │                           ▼    │ (runs at once)                      │
 *       │        close()        ┌────────┐        pause() while running:       │
 *       └────────────────────── │ paused │ ◄─────── the cycle ends, then ──────┘
 *                               └────────┘
 * ```
 *
 * - `request()` while waiting after a success runs the cycle at once (or once `floor`
 *   allows); while waiting out a backoff it does nothing (the server is struggling: do
 *   not hammer it); while running it queues one more run right after (same floor).
 * - The wait after a success is `intervalMs`, read at each wait: a loop's owner may
 *   change it (the pull loop waits longer while the live channel brings pokes).
 * - A failure while paused or closed is not counted: being offline burns no retries.
 * - `start()` runs the first cycle at once, in the call; `start({ paused: true })` goes
 *   straight to `paused` (the owner is offline) and the first cycle runs on `resume()`.
 * - `close()` returns the cycle in flight, so the owner can wait for it. A delegate may
 *   close its loop from `onSuccess`/`onFailure`: a step that runs until it succeeds
 *   once (the handshake), or a failure after which retrying cannot help.
 */
import { SyncError } from '../protocol/errors.ts';
import { Backoff, type RetryState } from './backoff.ts';
import type { TimerFunctions } from './timers.ts';
import type { RetryConfig } from './types.ts';

export type { TimerFunctions } from './timers.ts';

/** What a loop drives. */
export interface SyncLoopDelegate {
  /** One cycle; throws (a SyncError, ideally) on failure. */
  runCycle(): Promise<void>;
  /** A cycle succeeded. */
  onSuccess(): void;
  /** A cycle failed; the next try comes after `retry.nextDelayMs`. */
  onFailure(error: SyncError, retry: RetryState): void;
}

/** Options of a {@link SyncLoop}. */
export interface SyncLoopOptions {
  /** The wait after a success: a number, or a function read at each wait. */
  readonly intervalMs: number | (() => number);
  readonly retry: RetryConfig;
  readonly timers: TimerFunctions;
  /**
   * The least time between the starts of two requested cycles, with its clock: a server
   * poking every millisecond gets at most one cycle in flight, one queued, and one start
   * per `gapMs` (issue 11: poke floods drove 67 pulls a second).
   */
  readonly floor?: { readonly gapMs: number; readonly now: () => number };
}

/** A loop's state; see the diagram at the top of this file. */
export type SyncLoopState = 'closed' | 'waiting' | 'running' | 'paused';

/** A background loop; see the diagram at the top of this file. */
export class SyncLoop {
  readonly #delegate: SyncLoopDelegate;
  readonly #options: SyncLoopOptions;
  readonly #backoff: Backoff;
  #state: SyncLoopState = 'closed';
  #timer: unknown = undefined;
  #requested = false;
  #paused = false;
  #current: Promise<void> = Promise.resolve();
  #lastStart = Number.NEGATIVE_INFINITY;
  /** The armed timer is for a requested run (not the interval). */
  #runRequested = false;

  constructor(delegate: SyncLoopDelegate, options: SyncLoopOptions) {
    this.#delegate = delegate;
    this.#options = options;
    this.#backoff = new Backoff(options.retry);
  }

  /** Where the loop is. */
  get state(): SyncLoopState {
    return this.#state;
  }

  /** Starts the loop: the first cycle runs now, or on `resume()` when started paused. */
  start(options: { readonly paused?: boolean } = {}): void {
    if (this.#state !== 'closed') return;
    if (options.paused === true) {
      this.#paused = true;
      this.#state = 'paused';
      return;
    }
    this.#state = 'waiting';
    this.#run();
  }

  /** Asks for a cycle soon (see the rules at the top of this file). */
  request(): void {
    if (this.#state === 'running') {
      this.#requested = true;
    } else if (this.#state === 'waiting' && this.#backoff.attempt === 0 && !this.#runRequested) {
      // A run already asked for keeps its timer: re-arming it on every request would let
      // requests closer than a timer tick (a poke every millisecond) starve the loop.
      this.#schedule(this.#floorDelay());
      this.#runRequested = true;
    }
  }

  /** How long a requested cycle waits for the floor (0 without one). */
  #floorDelay(): number {
    const floor = this.#options.floor;
    return floor === undefined ? 0 : Math.max(0, this.#lastStart + floor.gapMs - floor.now());
  }

  /** Stops scheduling cycles until `resume()`; a cycle in flight finishes first. */
  pause(): void {
    if (this.#state === 'closed') return;
    this.#paused = true;
    this.#requested = false;
    this.#clearTimer();
    if (this.#state === 'waiting') this.#state = 'paused';
  }

  /** Leaves `paused` (or cuts a backoff short): forgets past failures, runs at once. */
  resume(): void {
    if (this.#state === 'closed') return;
    this.#paused = false;
    this.#backoff.reset();
    if (this.#state === 'running') {
      this.#requested = true;
    } else {
      this.#state = 'waiting';
      this.#schedule(0);
    }
  }

  /** Stops for good; resolves when the cycle in flight, if any, has ended. */
  close(): Promise<void> {
    this.#state = 'closed';
    this.#clearTimer();
    return this.#current;
  }

  #schedule(delayMs: number): void {
    this.#clearTimer();
    this.#runRequested = false;
    this.#timer = this.#options.timers.setTimeout(() => {
      this.#timer = undefined;
      this.#run();
    }, delayMs);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#options.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#runRequested = false;
  }

  #run(): void {
    if (this.#state !== 'waiting') return;
    this.#state = 'running';
    this.#requested = false;
    this.#lastStart = this.#options.floor?.now() ?? 0;
    this.#current = this.#delegate.runCycle().then(
      () => this.#finish(undefined),
      (error: unknown) => this.#finish(SyncError.from(error)),
    );
  }

  #finish(error: SyncError | undefined): void {
    if (this.#state === 'closed') return;
    if (this.#paused) {
      this.#state = 'paused';
      return;
    }
    this.#state = 'waiting';
    let delayMs: number;
    if (error === undefined) {
      this.#backoff.reset();
      const { intervalMs } = this.#options;
      delayMs = this.#requested ? this.#floorDelay() : typeof intervalMs === 'number' ? intervalMs : intervalMs();
      this.#requested = false;
      this.#delegate.onSuccess();
    } else {
      const retry = this.#backoff.fail(error);
      delayMs = retry.nextDelayMs;
      this.#requested = false;
      this.#delegate.onFailure(error, retry);
    }
    // Unless the delegate closed (or paused) the loop meanwhile.
    if (this.#state === 'waiting') this.#schedule(delayMs);
  }
}
