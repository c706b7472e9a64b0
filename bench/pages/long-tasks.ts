/**
 * Watches main-thread long tasks (PerformanceObserver `longtask`, ≥ 50 ms by the spec).
 * Start before a measured operation, stop after it: the longest task and how many.
 */

interface Watch {
  max: number;
  count: number;
  observer: PerformanceObserver;
}

const watches = new Map<string, Watch>();

/** Starts (`start`) or stops (`stop`) a named watch; stop returns `{ maxMs, count }`. */
export function longTaskWatch(name: string, action: 'start' | 'stop'): { maxMs: number; count: number } {
  if (action === 'start') {
    const watch: Watch = {
      max: 0,
      count: 0,
      observer: new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          watch.count++;
          watch.max = Math.max(watch.max, entry.duration);
        }
      }),
    };
    watch.observer.observe({ type: 'longtask', buffered: false });
    watches.set(name, watch);
    return { maxMs: 0, count: 0 };
  }
  const watch = watches.get(name);
  if (watch === undefined) return { maxMs: Number.NaN, count: 0 };
  for (const entry of watch.observer.takeRecords()) {
    watch.count++;
    watch.max = Math.max(watch.max, entry.duration);
  }
  watch.observer.disconnect();
  watches.delete(name);
  return { maxMs: watch.max, count: watch.count };
}

/**
 * Stops a watch once the current task has ended. An awaited call resumes inside the
 * task that delivered its answer (for a large answer, the task that deserialised it),
 * and that task's entry exists only once it ends: stopping at once would miss the very
 * task most likely to be long. Not timed: call it after the clock has stopped.
 */
export async function longTaskWatchEnd(name: string): Promise<{ maxMs: number; count: number }> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  return longTaskWatch(name, 'stop');
}
