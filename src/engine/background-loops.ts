/**
 * The loops of a running manager, and their order. The handshake is a step of the
 * loops, not a precondition of `start()`: with the server down or the device offline,
 * the connect loop retries on the backoff schedule (at once when the device comes back
 * online), so no host needs a retry loop of its own around the manager.
 *
 * ```
 *   start ──► connect loop ──handshake ok──► push loop: push (then pull after conflicts), every pushIntervalMs
 *              │      ▲                      pull loop: the catch-up, then pull, every pullIntervalMs
 *    retryable │      │ backoff, or                     (livePullIntervalMs while the live channel is up)
 *    failure ──┘      │ resume() when online   live channel: a poke asks the pull loop for a cycle,
 *                                                        at most one per POKE_PULL_GAP_MS
 *                                            final refusal (UNAUTHORIZED, FORBIDDEN, PROTOCOL_VERSION,
 *                                            HANDSHAKE_REJECTED): every loop ends, `onRefused`
 * ```
 *
 * What each step does belongs to the manager ({@link LoopSteps}); the loops only time
 * and order them.
 */
import { ErrorCode, type SyncError } from '../protocol/errors.ts';
import type { SyncTransport } from '../transport/types.ts';
import type { RetryState } from './backoff.ts';
import { SyncLoop } from './sync-loop.ts';
import type { Timers } from './timers.ts';
import type { SyncConfig } from './types.ts';

/**
 * The least time between two requested pull starts: a live channel poking every
 * millisecond makes at most 4 pulls a second (one in flight, one queued), instead of
 * one per poke.
 */
export const POKE_PULL_GAP_MS = 250;

/** Which loop a cycle belongs to. */
export type LoopKind = 'connect' | 'push' | 'pull';

/** Handshake failures after which retrying by itself cannot help. */
export const FINAL_CONNECT_CODES: ReadonlySet<string> = new Set([
  ErrorCode.UNAUTHORIZED,
  ErrorCode.FORBIDDEN,
  ErrorCode.PROTOCOL_VERSION,
  ErrorCode.HANDSHAKE_REJECTED,
  ErrorCode.DATABASE_CLOSED,
]);

/** What the loops run, and whom they tell how it went. */
export interface LoopSteps {
  /** One cycle of `kind`; `connect` shakes hands (if there is no session yet). */
  run(kind: LoopKind): Promise<unknown>;
  /** A cycle failed for a reason a retry may fix; the next try comes after `retry.nextDelayMs`. */
  onFailure(kind: LoopKind, error: SyncError, retry: RetryState): void;
  /** The handshake went through: push and pull have begun. */
  onConnected(): void;
  /** The handshake was refused for good: every loop has ended. */
  onRefused(error: SyncError): void;
}

/** How the loops run. */
export interface BackgroundLoopsOptions {
  readonly config: SyncConfig;
  readonly timers: Timers;
  /** Whose live channel, if it has one, pokes the pull loop. */
  readonly transport: SyncTransport;
}

/** The connect, push and pull loops of one `start()`. */
export class BackgroundLoops {
  readonly #steps: LoopSteps;
  readonly #options: BackgroundLoopsOptions;
  #connect: SyncLoop | undefined;
  #push: SyncLoop | undefined;
  #pull: SyncLoop | undefined;
  #closeLive: (() => void) | undefined;
  /** Is the live channel up? Then pokes bring changes and the pull loop only polls for safety. */
  #liveUp = false;
  #paused = false;
  #closed = false;

  constructor(steps: LoopSteps, options: BackgroundLoopsOptions) {
    this.#steps = steps;
    this.#options = options;
  }

  /** Starts the connect loop: its first cycle runs now, or on `resume()` when `paused`. */
  start(paused: boolean): void {
    this.#paused = paused;
    this.#connect = this.#loop('connect', 0);
    this.#connect.start({ paused });
  }

  /** A run got through while the connect loop waits out a backoff: connect now. */
  connectNow(): void {
    if (!this.#paused) this.#connect?.resume();
  }

  /** Asks the push loop for a cycle soon. */
  requestPush(): void {
    this.#push?.request();
  }

  /** Asks the pull loop for a cycle soon. */
  requestPull(): void {
    this.#pull?.request();
  }

  /** Offline: no cycle starts until `resume()`; failures burn no retries. */
  pause(): void {
    this.#paused = true;
    for (const loop of this.#all()) loop.pause();
  }

  /** Online: every loop forgets its failures and runs at once. */
  resume(): void {
    this.#paused = false;
    for (const loop of this.#all()) loop.resume();
  }

  /** Ends every loop and the live channel; resolves once the cycles in flight have ended. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closeLive?.();
    this.#closeLive = undefined;
    await Promise.all(this.#all().map((loop) => loop.close()));
  }

  #all(): SyncLoop[] {
    return [this.#connect, this.#push, this.#pull].filter((loop) => loop !== undefined);
  }

  #loop(kind: LoopKind, intervalMs: number | (() => number)): SyncLoop {
    const { config, timers } = this.#options;
    return new SyncLoop(
      {
        runCycle: async () => {
          await this.#steps.run(kind);
        },
        // A run clears its own failure and reports status; a connect ends its loop.
        onSuccess: () => {
          if (kind === 'connect') this.#connected();
        },
        onFailure: (error, retry) => {
          // SHUTDOWN from our own stop() ends quietly; a server that says it is shutting
          // down is a failure like any other (retried, and start() settles).
          if (error.code === ErrorCode.SHUTDOWN && this.#closed) return;
          if (kind === 'connect' && FINAL_CONNECT_CODES.has(error.code)) this.#refused(error);
          else this.#steps.onFailure(kind, error, retry);
        },
      },
      // Pokes and other requested pulls start at most one per POKE_PULL_GAP_MS.
      { intervalMs, retry: config.retry, timers, ...(kind === 'pull' ? { floor: { gapMs: POKE_PULL_GAP_MS, now: timers.now } } : {}) },
    );
  }

  #connected(): void {
    void this.#connect?.close();
    this.#connect = undefined;
    if (this.#closed) return;
    const { direction, pushIntervalMs, pullIntervalMs, livePullIntervalMs } = this.#options.config;
    if (direction !== 'pull-only') this.#push = this.#loop('push', pushIntervalMs);
    if (direction !== 'push-only') this.#pull = this.#loop('pull', () => (this.#liveUp ? livePullIntervalMs : pullIntervalMs));
    const { transport } = this.#options;
    if (transport.live !== undefined && this.#pull !== undefined) {
      this.#closeLive = transport.live({
        onPoke: () => this.requestPull(),
        // Up: catch up on what was missed while down, then poll slowly. Down: pull now
        // (a poke may have been lost with it), then poll at the usual interval.
        onState: (connected) => {
          this.#liveUp = connected;
          this.requestPull();
        },
      });
    }
    // Started after the live channel opened: its first "connected" is covered by the
    // first pull, which runs at once. Push first: writes made offline go out before a
    // long catch-up.
    this.#push?.start({ paused: this.#paused });
    this.#pull?.start({ paused: this.#paused });
    this.#steps.onConnected();
  }

  #refused(error: SyncError): void {
    this.#closed = true;
    void this.#connect?.close();
    this.#connect = undefined;
    this.#steps.onRefused(error);
  }
}
