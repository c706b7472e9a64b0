/**
 * The replica's count of changes waiting to be pushed: the `pending` of every status.
 *
 * One count per store connection, with one owner. A manager made alone counts for
 * itself; the worker makes one per tab and lends it to each manager it runs, so a
 * local write is counted once, not once by the manager and again by the worker. The
 * count follows the store's own local writes by itself: each adds its changes, with no
 * read (a read per write was a second transaction behind every write, and the next
 * write waited for it). Whoever learns of other changes (a push it ran, another tab's
 * write to the shared database) calls {@link PendingCount.refresh}. Counting reads two
 * keys, no scan.
 */
import type { LocalStore } from '../store/types.ts';

/** Counts one at a time; asks made while a count runs share the next one. */
export class PendingCount {
  readonly #store: LocalStore;
  readonly #listeners = new Set<(count: number) => void>();
  readonly #unsubscribe: () => void;
  #value: number | undefined;
  /** The last count asked for (running or queued). */
  #tail: Promise<void> = Promise.resolve();
  /** A count asked for that has not started yet: later asks join it. */
  #queued: Promise<void> | undefined;
  /** Counts asked for and not finished (running or queued). */
  #asked = 0;
  #closed = false;

  /** Follows `store`'s local writes until {@link close}; call {@link refresh} for a first count. */
  constructor(store: LocalStore) {
    this.#store = store;
    // A local write of this store adds its changes. Unless a count is under way: one
    // running may have read before the write, so a count is asked for after it instead
    // (as is the first count, if none was read yet). A count can thus run high, never
    // low, until the next count (after each push, say), and a count too high costs at
    // most a push run that finds nothing.
    this.#unsubscribe = store.subscribe((event) => {
      if (event.source !== 'local') return;
      if (this.#value === undefined || this.#asked) void this.refresh();
      else this.#set(this.#value + event.changes.length);
    });
  }

  /** The last count read; undefined before the first. */
  get value(): number | undefined {
    return this.#value;
  }

  /** Calls `listener` with each count that differs from the last; returns the unsubscribe. */
  onChange(listener: (count: number) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Asks for a count; resolves once a count that started after this call has finished.
   * A burst of writes thus costs two counts (the one running and one after), not one per
   * write. Never rejects: a count that fails (a closed replica) leaves the value as it was.
   */
  refresh(): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    this.#asked++;
    const queued = this.#tail.then(() => {
      this.#queued = undefined;
      return this.#countNow();
    });
    this.#queued = queued;
    this.#tail = queued;
    return queued;
  }

  /** Stops following the store; counts still asked for finish, quietly. */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    this.#listeners.clear();
  }

  async #countNow(): Promise<void> {
    try {
      if (!this.#closed) this.#set(await this.#store.pendingCount());
    } catch {
      // A closed replica: the status says so by other means.
    } finally {
      this.#asked--;
    }
  }

  #set(count: number): void {
    if (count === this.#value) return;
    this.#value = count;
    for (const listener of [...this.#listeners]) listener(count);
  }
}
