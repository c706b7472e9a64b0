/**
 * Whether the push loop has something to do. Every ask (a local write, another tab's)
 * and every failed push sets it; a push cycle with nothing pending and nothing asked
 * makes no run at all, so an idle device's push loop neither reads, nor sends, nor
 * shows `syncing` once a second.
 */
import type { PendingCount } from './pending-count.ts';

/** The push loop's demand; see the file comment. */
export class PushDemand {
  readonly #pending: PendingCount;
  /** True at first: a start pushes whatever waits. */
  #asked = true;

  constructor(pending: PendingCount) {
    this.#pending = pending;
  }

  /** Something may be waiting: the next cycle runs. */
  ask(): void {
    this.#asked = true;
  }

  /** Runs `push` when asked or when the count says something is pending; a failure asks again (the retry must run). */
  async run(push: () => Promise<void>): Promise<void> {
    if (!this.#asked && this.#pending.value === 0) return;
    this.#asked = false;
    try {
      await push();
    } catch (error) {
      this.#asked = true;
      throw error;
    }
  }
}
