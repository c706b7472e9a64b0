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
import type { JsonValue, PushedChange } from '../protocol/types.ts';
import type { LocalStore } from './types.ts';

/** One change waiting to be pushed. */
export interface PendingWrite {
  readonly collective: string;
  readonly id: string;
  /** `patch`: some fields of a field-level record (`field-last-write-wins`). */
  readonly op: PushedChange['op'];
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

function asPendingWrite(change: PushedChange, now: number, values: boolean): PendingWrite {
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
  /** Ids with a write waiting, by collective: a read in flight or done. */
  #byCollective: Promise<Map<string, Set<string>>> | undefined;

  constructor(store: LocalStore) {
    this.#store = store;
  }

  /** The log may have changed: the next question reads it again (a read in flight is not kept). */
  invalidate(): void {
    this.#byCollective = undefined;
  }

  /** Does `collective`/`id` have a write waiting? */
  async isPending(collective: string, id: string): Promise<boolean> {
    return (await this.#read()).get(collective)?.has(id) ?? false;
  }

  /** The ids of `collective` with a write waiting, sorted. */
  async pendingIds(collective: string): Promise<string[]> {
    return [...((await this.#read()).get(collective) ?? [])].sort();
  }

  #read(): Promise<Map<string, Set<string>>> {
    const read = (this.#byCollective ??= this.#store.pendingChanges(Number.MAX_SAFE_INTEGER).then((changes) => {
      const byCollective = new Map<string, Set<string>>();
      for (const { collective, id } of changes) byCollective.set(collective, (byCollective.get(collective) ?? new Set()).add(id));
      return byCollective;
    }));
    // A failed read is not kept.
    read.catch(() => {
      if (this.#byCollective === read) this.#byCollective = undefined;
    });
    return read;
  }
}
