/**
 * Yielding to the event loop by time rather than by count. A push used to yield after
 * every 128 changes, so that no one request holds the loop for long (issue 11, finding
 * 3). Under load a yield is not cheap: the push resumes only after every other request
 * that is ready has had its turn, often a hundred milliseconds or more, so a push of 500
 * changes waited three such turns, and a group of 50 pushes that yielded between pushes
 * fifty. Yielding only once the work has held the loop for {@link TURN_MS} keeps the
 * bound, at a few yields where there were dozens.
 */
import { nextTurn } from './next-turn.ts';

/**
 * Longest stretch of one request's work between two yields, in milliseconds: in line
 * with what a pull page or a body parse already holds the loop for.
 */
export const TURN_MS = 50;

/** A running stretch of work on the event loop. */
export interface TurnBudget {
  /** Resolves at once while the stretch is within its budget; else on a later turn, where a new stretch starts. */
  pause(): Promise<void>;
}

/** A stretch that starts now. `clock` is monotonic milliseconds (default `performance.now`). */
export function turnBudget(ms: number = TURN_MS, clock: () => number = () => performance.now()): TurnBudget {
  let start = clock();
  return {
    async pause() {
      if (clock() - start < ms) return;
      await nextTurn();
      start = clock();
    },
  };
}
