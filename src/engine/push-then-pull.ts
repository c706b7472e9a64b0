/**
 * A push followed by a pull, with the push's conflict events held back until the pull
 * is done. Under server-wins a refused change is settled by the server's record, which
 * comes by the pull (see `leaveToPull` in `conflicts.ts`): told only afterwards, a
 * listener that reads the replica on a `conflict` event sees what it now holds, in the
 * same cycle. The manager's two push cycles are built of it: `fullCycle` (`syncOnce`)
 * and `pushCycle` (the push loop).
 */
import { pullUntilCaughtUp } from './pull.ts';
import { pushPending } from './push.ts';
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
export async function pushThenPull(ctx: SyncContext, pull: PullAfterPush): Promise<void> {
  const held: ConflictInfo[] = [];
  try {
    const conflicts = await pushPending({ ...ctx, onConflict: (conflict) => held.push(conflict) });
    if (pull.when === 'always' || conflicts > 0) {
      try {
        await pullUntilCaughtUp(ctx);
      } catch (error) {
        if (pull.onFailure === undefined) throw error;
        pull.onFailure(error);
      }
    }
  } finally {
    for (const conflict of held) ctx.onConflict(conflict);
  }
}

/**
 * One full cycle in the configured direction (`syncOnce`): push until the log is
 * drained, then pull until caught up, or just the one way a one-way manager goes.
 */
export async function fullCycle(ctx: SyncContext): Promise<void> {
  const { direction } = ctx.config;
  if (direction === 'bidirectional') await pushThenPull(ctx, { when: 'always' });
  else if (direction === 'push-only') await pushPending(ctx);
  else await pullUntilCaughtUp(ctx);
}

/**
 * The push loop's cycle. Refused changes are settled by the server's records, which the
 * pull brings: pulled in this cycle, so the replica holds them when the conflict events
 * fire. A failed pull goes to `onPullFailure` (the pull loop's to retry and report).
 */
export async function pushCycle(ctx: SyncContext, onPullFailure: (error: unknown) => void): Promise<void> {
  if (ctx.config.direction === 'push-only') await pushPending(ctx);
  else await pushThenPull(ctx, { when: 'after-conflicts', onFailure: onPullFailure });
}
