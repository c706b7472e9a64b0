/**
 * `whenPushed(receipt)` in a tab's worker: a receipt waits here until an
 * acknowledgement (any tab's leader told it), a new replica (a clear) or the end of
 * the connection settles it. Each such moment reads the replica once for every waiting
 * receipt; a receipt asked about after the fact (another tab, a reload) is settled by
 * the read made when it is asked. The waiters outlive a session replaced by a clear:
 * they reach the replica through `replica`, which waits for the new one.
 */
import { outcomeOf, readAckState, type PushOutcome, type WriteReceipt } from '../src/engine/acks.ts';
import type { LocalStore } from '../src/store/types.ts';

interface Waiter {
  readonly receipt: WriteReceipt;
  readonly resolve: (outcome: PushOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/** One tab's waiting receipts; see the file comment. */
export class PushWaiters {
  /** The current replica, once no clear is replacing it; fails `SHUTDOWN` once closed. */
  readonly #replica: () => Promise<LocalStore>;
  readonly #waiting = new Set<Waiter>();

  constructor(replica: () => Promise<LocalStore>) {
    this.#replica = replica;
  }

  /** Resolves with what the server did with the write of `receipt`, once it has dealt with all of it. */
  whenPushed(receipt: WriteReceipt): Promise<PushOutcome> {
    return new Promise((resolve, reject) => {
      this.#waiting.add({ receipt, resolve, reject });
      void this.settle();
    });
  }

  /** Writes were acknowledged, or the replica replaced or closed: settles what it can. Never rejects. */
  async settle(): Promise<void> {
    if (this.#waiting.size === 0) return;
    await this.#replica()
      .then(readAckState)
      .then(
        (state) => {
          for (const waiter of this.#waiting) {
            const outcome = outcomeOf(state, waiter.receipt);
            if (outcome !== undefined && this.#waiting.delete(waiter)) waiter.resolve(outcome);
          }
        },
        (error: unknown) => {
          for (const waiter of this.#waiting) if (this.#waiting.delete(waiter)) waiter.reject(error);
        },
      );
  }
}
