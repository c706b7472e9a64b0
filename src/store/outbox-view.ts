/**
 * The outbox as an app sees it: the writes waiting to be pushed (`pendingWrites`) and,
 * per record, whether one waits (`OutboxIndex`, for a "synced?" mark on every row of a
 * list). Both read the replica's change log through the LocalStore interface.
 *
 * The index is the log read once into a map by record, kept until something may have
 * changed the log (a local write here or in another tab, an acknowledgement: the host
 * calls {@link OutboxIndex.invalidate}). A list of a thousand rows then costs one log
 * read and a thousand map lookups, not a thousand reads; the log itself is small (it
 * holds only what the server has not acknowledged).
 */
import { parseHlc } from '../clock/hlc.ts';
import type { ChangeOp, JsonValue, SyncChange } from '../protocol/types.ts';
import { recordKey } from '../protocol/record-key.ts';
import type { LocalStore } from './types.ts';

/** One change waiting to be pushed. */
export interface PendingWrite {
  readonly collective: string;
  readonly id: string;
  readonly op: ChangeOp;
  readonly seq: number;
  /** When it was written: epoch ms, from its hybrid logical clock. */
  readonly writtenAt: number;
  /** How long it has waited, in ms, when listed. */
  readonly ageMs: number;
  /** The value written (a put), only when asked for. */
  readonly value?: JsonValue;
}

/** Options of {@link pendingWrites}. */
export interface PendingWritesOptions {
  /** Include the values (they may be large). Default false. */
  readonly values?: boolean;
  /** At most this many, oldest first. Default all. */
  readonly limit?: number;
}

function asPendingWrite(change: SyncChange, now: number, values: boolean): PendingWrite {
  const writtenAt = parseHlc(change.hlc)?.wallMs ?? now;
  const write = { collective: change.collective, id: change.id, op: change.op, seq: change.seq, writtenAt, ageMs: Math.max(0, now - writtenAt) };
  return values && change.value !== undefined ? { ...write, value: change.value } : write;
}

/** The changes waiting in `store`'s log, oldest first. */
export async function pendingWrites(store: LocalStore, options: PendingWritesOptions = {}, now = Date.now()): Promise<PendingWrite[]> {
  const changes = await store.pendingChanges(options.limit ?? Number.MAX_SAFE_INTEGER);
  return changes.map((change) => asPendingWrite(change, now, options.values === true));
}

/** Which records have a write waiting; see the file comment. */
export class OutboxIndex {
  readonly #store: LocalStore;
  /** Pending records as `recordKey`s, by collective; a read in flight or done. */
  #byCollective: Promise<Map<string, Set<string>>> | undefined;
  /** Bumped by every invalidation: a read that started before one is not kept. */
  #generation = 0;

  constructor(store: LocalStore) {
    this.#store = store;
  }

  /** The log may have changed: the next question reads it again. */
  invalidate(): void {
    this.#generation += 1;
    this.#byCollective = undefined;
  }

  /** Does `collective`/`id` have a write waiting? */
  async isPending(collective: string, id: string): Promise<boolean> {
    return (await this.#read()).get(collective)?.has(recordKey(collective, id)) ?? false;
  }

  /** The ids of `collective` with a write waiting, sorted. */
  async pendingIds(collective: string): Promise<string[]> {
    const keys = (await this.#read()).get(collective);
    if (keys === undefined) return [];
    const prefix = recordKey(collective, '');
    return [...keys].map((key) => key.slice(prefix.length)).sort();
  }

  #read(): Promise<Map<string, Set<string>>> {
    if (this.#byCollective !== undefined) return this.#byCollective;
    const generation = this.#generation;
    const read = this.#store.pendingChanges(Number.MAX_SAFE_INTEGER).then((changes) => {
      const byCollective = new Map<string, Set<string>>();
      for (const change of changes) {
        let keys = byCollective.get(change.collective);
        if (keys === undefined) byCollective.set(change.collective, (keys = new Set()));
        keys.add(recordKey(change.collective, change.id));
      }
      return byCollective;
    });
    // Kept only if nothing changed the log while it was read; a failed read is not kept.
    this.#byCollective = read;
    read.then(
      () => {
        if (this.#generation !== generation && this.#byCollective === read) this.#byCollective = undefined;
      },
      () => {
        if (this.#byCollective === read) this.#byCollective = undefined;
      },
    );
    return read;
  }
}
