/**
 * `whenPushed(receipt)` on the page: waits for the `ack` event that settles a write,
 * whichever tab's leader pushed it. Each waiter registers before the worker is asked
 * (so no event falls between the question and the wait); an event that covers a
 * receipt only in part (part of the write was dealt with by an earlier event, perhaps
 * before this page listened) sends the question to the worker again, which reads the
 * replica. A `reset` settles the receipts of the replica it replaced as `unknown`.
 */
import type { AckEvent, PushOutcome, WriteReceipt } from '../engine/acks.ts';
import { outcomeFromAck } from '../engine/acks.ts';
import { ErrorCode, SyncError } from '../protocol/errors.ts';

interface Waiter {
  readonly receipt: WriteReceipt;
  readonly resolve: (outcome: PushOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/** Asks the worker what it knows now; undefined while the write waits. */
export type AskOutcome = (receipt: WriteReceipt) => Promise<PushOutcome | undefined>;

/** The page's waiting receipts. */
export class PushReceipts {
  readonly #ask: AskOutcome;
  readonly #waiting = new Set<Waiter>();

  constructor(ask: AskOutcome) {
    this.#ask = ask;
  }

  /** Resolves with what the server did with the write of `receipt`, once it has dealt with all of it. */
  whenPushed(receipt: WriteReceipt): Promise<PushOutcome> {
    return new Promise<PushOutcome>((resolve, reject) => {
      const waiter: Waiter = { receipt, resolve, reject };
      this.#waiting.add(waiter);
      this.#askFor(waiter);
    });
  }

  /** An `ack` event: settles what it covers. */
  heard(ack: AckEvent): void {
    for (const waiter of [...this.#waiting]) {
      if (waiter.receipt.seq > ack.upTo) continue;
      const outcome = outcomeFromAck(waiter.receipt, ack);
      if (outcome === undefined) this.#askFor(waiter);
      else this.#settle(waiter, outcome);
    }
  }

  /** The replica was replaced by `instanceId`: writes to the old one are unknown now. */
  reset(instanceId: string): void {
    for (const waiter of [...this.#waiting]) {
      if (waiter.receipt.instanceId !== instanceId) this.#settle(waiter, { status: 'unknown', seq: waiter.receipt.seq });
    }
  }

  /** The client closes: nobody will tell the waiting receipts. */
  close(): void {
    for (const waiter of [...this.#waiting]) {
      this.#waiting.delete(waiter);
      waiter.reject(new SyncError(ErrorCode.SHUTDOWN, 'whenPushed(): the sync client was closed before the server dealt with the write'));
    }
  }

  #askFor(waiter: Waiter): void {
    this.#ask(waiter.receipt).then(
      (outcome) => {
        if (outcome !== undefined) this.#settle(waiter, outcome);
      },
      (error: unknown) => {
        if (!this.#waiting.delete(waiter)) return;
        waiter.reject(error);
      },
    );
  }

  #settle(waiter: Waiter, outcome: PushOutcome): void {
    if (this.#waiting.delete(waiter)) waiter.resolve(outcome);
  }
}
