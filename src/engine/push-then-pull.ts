/**
 * A push followed by a pull, with the push's conflict events held back until the pull
 * is done. Under server-wins a refused change is settled by the server's record, which
 * comes by the pull (see `leaveToPull` in `conflicts.ts`): told only afterwards, a
 * listener that reads the replica on a `conflict` event sees what it now holds, in the
 * same cycle.
 */
import { pullUntilCaughtUp } from './pull.ts';
import { pushPending, type PushOutcome } from './push.ts';
import type { SyncContext } from './sync-context.ts';
import type { ConflictInfo } from './types.ts';

/** When {@link pushThenPull} pulls, and what a failed pull does. */
export interface PullAfterPush {
  /** `always` (a full cycle) or only when the push met conflicts. */
  readonly when: 'always' | 'after-conflicts';
  /**
   * A failed pull is passed here instead of failing the run (the push itself went
   * through); without it, the run fails with the pull's error.
   */
  readonly onFailure?: (error: unknown) => void;
}

/** Pushes until the log is drained, then pulls until caught up (see the file comment). */
export async function pushThenPull(ctx: SyncContext, pull: PullAfterPush): Promise<PushOutcome> {
  const held: ConflictInfo[] = [];
  try {
    const outcome = await pushPending({ ...ctx, onConflict: (conflict) => held.push(conflict) });
    if (pull.when === 'always' || outcome.conflicts > 0) {
      try {
        await pullUntilCaughtUp(ctx);
      } catch (error) {
        if (pull.onFailure === undefined) throw error;
        pull.onFailure(error);
      }
    }
    return outcome;
  } finally {
    for (const conflict of held) ctx.onConflict(conflict);
  }
}
