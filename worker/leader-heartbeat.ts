/**
 * The leader's heartbeat, and the watch a tab waiting in line keeps on it. A tab that
 * holds the leader lock may stop running without letting go of it: frozen in the
 * background, paused in a debugger, stuck in a long task. The browser frees a lock only
 * when its holder goes away, so the leader beats (a message to the other tabs, no
 * network, no status event) every quarter of `silenceMs`, and a tab in line that has
 * heard nothing for `silenceMs` steals the lock.
 *
 * ```
 *   leading:   beat ──silenceMs/4──► beat ──► …    a tick late by the bound: `late()` (replaced, maybe)
 *   in line:   watch() ──silenceMs·(1 + jitter/8)──► `silent()` (take over)
 *                 ▲ every beat heard starts the wait again
 * ```
 *
 * A tab waits only once it has heard a beat (in line or before): the tabs of an older
 * build never beat, and must not lose the lock for that. The jitter spreads the tabs
 * in line so that one steals and the others hear it beat. A wait that ends far too
 * late means this tab was asleep itself (a laptop lid, a frozen follower): it cannot
 * tell how long the leader was silent, so it waits again.
 */
import type { Timers } from '../src/engine/timers.ts';

/** What the heartbeat needs: time, the bound, and what to do when it fires. */
export interface HeartbeatOptions {
  readonly timers: Timers;
  /** How long a leader may go without beating before a tab in line takes over. */
  readonly silenceMs: number;
  /** In [0, 1): this tab's share of the spread between the tabs in line. */
  readonly jitter: number;
  /** Tells the other tabs this tab still leads. */
  readonly beat: () => void;
  /** Leading, a tick came `silenceMs` after the last beat: a tab in line may have taken over. */
  readonly late: () => void;
  /** In line, the leader has been silent for `silenceMs`: take over. */
  readonly silent: () => void;
}

/** One tab's heartbeat: beating while it leads, watching the leader's while in line. */
export class LeaderHeartbeat {
  readonly #options: HeartbeatOptions;
  #timer: unknown;
  /** Leading: when this tab last beat. In line: when its wait began (joining the line, or the last beat heard). */
  #at = 0;
  #leading = false;
  #watching = false;
  /** A beat was heard here once: the tabs of this build beat. */
  #heard = false;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
  }

  /** Beats now and on every tick while the beats stay on time. */
  lead(): void {
    const { timers, silenceMs, beat, late } = this.#options;
    this.stop();
    this.#leading = true;
    this.#at = timers.now();
    beat();
    this.#timer = timers.setTimeout(() => (this.fresh() ? this.lead() : late()), silenceMs / 4);
  }

  /**
   * Leads, and the last beat is less than `silenceMs` old. A tab in line steals only
   * after `silenceMs` without a beat, so while this holds the lock is surely still ours.
   */
  fresh(): boolean {
    return this.#leading && this.#options.timers.now() - this.#at < this.#options.silenceMs;
  }

  /** Another tab beat: if this one waits in line, its wait starts again. */
  heard(): void {
    if (this.#leading) return;
    this.#heard = true;
    if (this.#watching) this.watch();
  }

  /** This tab waits in line: `silent()` once it has heard no beat for the bound (once it has heard one at all). */
  watch(): void {
    const { timers, silenceMs, jitter, silent } = this.#options;
    this.stop();
    this.#watching = true;
    if (!this.#heard) return;
    this.#at = timers.now();
    this.#timer = timers.setTimeout(() => (timers.now() - this.#at > 2 * silenceMs ? this.watch() : silent()), silenceMs * (1 + jitter / 8));
  }

  /** Neither beats nor watches any more. */
  stop(): void {
    if (this.#timer !== undefined) this.#options.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#leading = this.#watching = false;
  }
}
