/**
 * Whether the push loop has something to do. Every ask (a local write, another tab's)
 * and every failed push sets it; a push cycle with nothing pending and nothing asked
 * makes no run, so an idle device's push loop neither sends nor shows `syncing` once a
 * second. As a safety net for a write nobody told the manager about (another store
 * object on the same database, without `requestPush()`), the count is read again once
 * per `safetyEveryMs`.
 */
import type { PendingCount } from './pending-count.ts';

/** The push loop's demand; see the file comment. */
export class PushDemand {
  readonly #pending: PendingCount;
  readonly #now: () => number;
  readonly #safetyEveryMs: number;
  /** True at first: a start pushes whatever waits. */
  #asked = true;
  #countedAt = Number.NEGATIVE_INFINITY;

  constructor(pending: PendingCount, options: { readonly now: () => number; readonly safetyEveryMs: number }) {
    this.#pending = pending;
    this.#now = options.now;
    this.#safetyEveryMs = options.safetyEveryMs;
  }

  /** Something may be waiting: the next cycle runs. */
  ask(): void {
    this.#asked = true;
  }

  /** Runs `push` when asked or when the count says something is pending; a failure asks again (the retry must run). */
  async run(push: () => Promise<void>): Promise<void> {
    if (!this.#asked && this.#pending.value === 0) {
      if (this.#now() - this.#countedAt < this.#safetyEveryMs) return;
      this.#countedAt = this.#now();
      await this.#pending.refresh();
      if (this.#pending.value === 0) return;
    }
    this.#asked = false;
    try {
      await push();
    } catch (error) {
      this.#asked = true;
      throw error;
    }
  }
}
