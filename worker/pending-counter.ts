/**
 * The replica's count of changes waiting to be pushed, as one tab last read it. All
 * tabs share one change log, but the leader's engine does not see a follower's writes
 * until it pushes them, nor a follower the leader's pushes: so each tab counts for
 * itself (the count reads two keys, no scan).
 */

/** Counts one at a time; asks made while a count runs share the next one. */
export class PendingCounter {
  readonly #count: () => Promise<number>;
  readonly #onChange: (count: number) => void;
  #value: number | undefined;
  /** The last count asked for (running or queued). */
  #tail: Promise<void> = Promise.resolve();
  /** A count asked for that has not started yet: later asks join it. */
  #queued: Promise<void> | undefined;

  /** `count` reads the replica; `onChange` hears each count that differs from the last. */
  constructor(count: () => Promise<number>, onChange: (count: number) => void) {
    this.#count = count;
    this.#onChange = onChange;
  }

  /** The last count read; undefined before the first. */
  get value(): number | undefined {
    return this.#value;
  }

  /**
   * Asks for a count; resolves once a count that started after this call has finished.
   * A burst of writes thus costs two counts (the one running and one after), not one per
   * write. Never rejects: a count that fails (a closed replica) leaves the value as it was.
   */
  refresh(): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    const queued = this.#tail.then(() => {
      this.#queued = undefined;
      return this.#countNow();
    });
    this.#queued = queued;
    this.#tail = queued;
    return queued;
  }

  async #countNow(): Promise<void> {
    try {
      const count = await this.#count();
      if (count === this.#value) return;
      this.#value = count;
      this.#onChange(count);
    } catch {
      // A closed replica: the status says so by other means.
    }
  }
}
