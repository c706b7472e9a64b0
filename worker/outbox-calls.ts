/**
 * The outbox calls of one tab, answered from the shared replica, whichever tab leads:
 * what is waiting (`pending`), which records have a write waiting (`isPending`,
 * `pendingIds`), and what the server did with a write (`pushOutcome`, for the client's
 * `whenPushed`). The by-record index is read again after anything that may change the
 * log: a write in this tab or another, an acknowledgement told by any tab.
 */
import { readPushOutcome, type PushOutcome, type WriteReceipt } from '../src/engine/acks.ts';
import type { SyncChange } from '../src/protocol/types.ts';
import { OutboxIndex, pendingWrites, type PendingWrite, type PendingWritesOptions } from '../src/store/outbox-view.ts';
import type { LocalStore } from '../src/store/types.ts';
import type { WorkerEvent } from '../src/worker-api/sync-worker-api.ts';

/** The receipt of a local write that logged `logged` in `store`. */
export function receiptOf(store: LocalStore, logged: readonly SyncChange[]): WriteReceipt {
  const first = logged[0];
  const last = logged.at(-1);
  if (first === undefined || last === undefined) return { instanceId: store.instanceId, firstSeq: 0, seq: 0 };
  return { instanceId: store.instanceId, firstSeq: first.seq, seq: last.seq };
}

/** One tab's outbox calls over its connection's replica. */
export class OutboxCalls {
  readonly #replica: LocalStore;
  readonly #now: () => number;
  readonly #index: OutboxIndex;
  readonly #off: () => void;

  constructor(replica: LocalStore, now: () => number) {
    this.#replica = replica;
    this.#now = now;
    this.#index = new OutboxIndex(replica);
    this.#off = replica.subscribe((event) => {
      if (event.source === 'local') this.#index.invalidate();
    });
  }

  /** An event this tab's page gets: another tab's write, or an acknowledgement, may have changed the log. */
  heard(event: WorkerEvent): void {
    if (event.type === 'ack' || (event.type === 'change' && event.payload.source === 'local')) this.#index.invalidate();
  }

  pending(options: PendingWritesOptions = {}): Promise<PendingWrite[]> {
    return pendingWrites(this.#replica, options, this.#now());
  }

  isPending(collective: string, id: string): Promise<boolean> {
    return this.#index.isPending(collective, id);
  }

  pendingIds(collective: string): Promise<string[]> {
    return this.#index.pendingIds(collective);
  }

  /** What the server did with the write of `receipt`; undefined while some of it waits. */
  pushOutcome(receipt: WriteReceipt): Promise<PushOutcome | undefined> {
    return readPushOutcome(this.#replica, receipt);
  }

  close(): void {
    this.#off();
  }
}
