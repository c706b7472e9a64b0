/**
 * Runs async tasks one after another, in call order: how the single-connection
 * stores (memory, SQLite) keep one transaction's awaits from interleaving with
 * another's. A failed task does not stop the ones queued after it.
 */

/** A queue of async tasks. */
export interface SerialQueue {
  /** Runs `task` after every task queued before it has settled. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Resolves once every task queued so far has settled. */
  idle(): Promise<void>;
}

/** An empty queue. */
export function serialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run(task) {
      const result = tail.then(task);
      tail = result.catch(() => undefined);
      return result;
    },
    async idle() {
      await tail;
    },
  };
}
