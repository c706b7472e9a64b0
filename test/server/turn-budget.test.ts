/**
 * A stretch of work yields to the event loop only once it has held it for its budget
 * (src/server/turn-budget.ts), and starts a new stretch when it does.
 */
import { describe, expect, it } from 'vitest';
import { turnBudget } from '../../src/server/turn-budget.ts';

/** Whether `pause()` let a turn of the event loop (a pending setImmediate) run first. */
async function yielded(pause: () => Promise<void>): Promise<boolean> {
  let ran = false;
  setImmediate(() => (ran = true));
  await pause();
  return ran;
}

describe('turn budget', () => {
  it('goes on at once within its budget, yields past it, then starts a new stretch', async () => {
    let now = 1_000;
    const budget = turnBudget(50, () => now);
    expect(await yielded(() => budget.pause())).toBe(false);
    now += 49;
    expect(await yielded(() => budget.pause())).toBe(false);
    now += 1;
    expect(await yielded(() => budget.pause())).toBe(true);
    // The yield started a new stretch at 1,050.
    now += 49;
    expect(await yielded(() => budget.pause())).toBe(false);
    now += 1;
    expect(await yielded(() => budget.pause())).toBe(true);
  });
});
