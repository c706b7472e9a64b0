/** How the page re-reads data after events: never overlapping, never piling up. */

/**
 * Wraps `task` so a call runs it now, or — if a run is in flight — once more after it
 * (however many calls came meanwhile).
 */
export function coalesced(task: () => Promise<void>): () => void {
  let running = false;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    task()
      .catch(() => undefined)
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          run();
        }
      });
  };
  return run;
}

/** Wraps `task` so calls within `ms` of the first share one run, `ms` later. */
export function throttled(task: () => Promise<void>, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      task().catch(() => undefined);
    }, ms);
  };
}
