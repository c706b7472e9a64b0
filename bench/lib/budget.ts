/**
 * Time budgets, so `npm run bench` ends within its 10 minutes on a slow or busy machine:
 * every section gets a point in time to be done by, and its loops run fewer repetitions
 * (never fewer than one) rather than overrun it. Rows carry their samples, so a figure
 * measured fewer times than asked shows it.
 */

/** A point in time to be done by, and slices of what is left. */
export interface Budget {
  /** Epoch ms to be done by. */
  readonly until: number;
  /** Milliseconds left (negative once past). */
  left(): number;
  /** Is there time for something that takes about `ms` more? */
  allows(ms: number): boolean;
  /** A budget ending once `fraction` of what is left now has passed. */
  slice(fraction: number): Budget;
}

/** A budget ending at `until` (epoch ms). */
export function budgetUntil(until: number): Budget {
  return {
    until,
    left: () => until - Date.now(),
    allows: (ms) => Date.now() + ms <= until,
    slice: (fraction) => budgetUntil(Date.now() + Math.max(0, until - Date.now()) * fraction),
  };
}

/**
 * Runs `run(i)` for i = 0 … count-1 while the budget allows another run about as long
 * as the slowest so far; always runs the first. Returns how many ran.
 */
export async function repeatWithin(budget: Budget, count: number, run: (i: number) => Promise<void>, onSkip?: (done: number) => void): Promise<number> {
  let slowest = 0;
  for (let i = 0; i < count; i++) {
    if (i > 0 && !budget.allows(slowest)) {
      onSkip?.(i);
      return i;
    }
    const start = Date.now();
    await run(i);
    slowest = Math.max(slowest, Date.now() - start);
  }
  return count;
}
