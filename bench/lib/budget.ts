/**
 * Time budgets, so `npm run bench` ends in bounded time on a slow or busy machine:
 * every section gets a point in time to be done by, and runs fewer rounds (never fewer
 * than one) rather than overrun it. The report says when a section ran fewer rounds
 * than asked.
 */

/** A point in time to be done by. */
export interface Budget {
  /** Epoch ms to be done by. */
  readonly until: number;
  /** Milliseconds left (negative once past). */
  left(): number;
  /** Is there time for something that takes about `ms` more? */
  allows(ms: number): boolean;
}

/** A budget ending at `until` (epoch ms). */
export function budgetUntil(until: number): Budget {
  return {
    until,
    left: () => until - Date.now(),
    allows: (ms) => Date.now() + ms <= until,
  };
}
