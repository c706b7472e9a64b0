/**
 * Pull: read the server's change feed from the saved cursor and apply it, each batch
 * with its cursor in one store transaction.
 */
import { ErrorCode, isSyncError } from '../protocol/errors.ts';
import type { SyncProgress } from '../protocol/types.ts';
import { settleLocalConflict } from './conflicts.ts';
import type { SyncContext } from './sync-context.ts';

/** What one pulled batch did. */
export interface PulledBatch {
  /** Changes the server sent in this batch. */
  readonly received: number;
  readonly hasMore: boolean;
  /** Changes remaining from the batch's cursor on, this batch included, when asked. */
  readonly total?: number;
}

/**
 * Pulls and applies one batch. The cursor is checked and moved inside the store's
 * transaction: if another tab applied the batch first (the store answers `CONFLICT`),
 * nothing is written and the next call simply starts from the newer cursor.
 */
export async function pullBatch(ctx: SyncContext, options: { withTotal?: boolean } = {}): Promise<PulledBatch> {
  const { store, transport, config } = ctx;
  const from = await store.pullCursor(ctx.peer);
  const response = await transport.pull({
    instanceId: store.instanceId,
    cursor: from,
    batchSize: config.batchSize,
    ...(config.collectives === undefined ? {} : { collectives: config.collectives }),
    ...(options.withTotal === true ? { withTotal: true } : {}),
  });
  let conflicts;
  try {
    const result = await store.applyRemote(response.changes, {
      policy: config.conflictResolution,
      cursor: { peer: ctx.peer, from, to: response.newCursor },
    });
    conflicts = result.conflicts;
  } catch (error) {
    if (!isSyncError(error, ErrorCode.CONFLICT)) throw error;
    return { received: 0, hasMore: true };
  }
  for (const conflict of conflicts) ctx.onConflict(await settleLocalConflict(ctx, conflict));
  return {
    received: response.changes.length,
    hasMore: response.hasMore,
    ...(response.total === undefined ? {} : { total: response.total }),
  };
}

/** Pulls batch after batch until the server says there is no more; returns the count. */
export async function pullUntilCaughtUp(ctx: SyncContext): Promise<number> {
  let received = 0;
  for (;;) {
    ctx.checkpoint();
    const batch = await pullBatch(ctx);
    received += batch.received;
    if (!batch.hasMore) return received;
  }
}

/**
 * The initial catch-up: pulls in batches until `hasMore` is false, asking for `total`
 * with the first request so progress has a real denominator, and reports progress
 * after each batch. Every batch is saved with its cursor, so a run cut short (closed
 * store, reload) resumes from the last saved batch on the next call.
 */
export async function initialPull(ctx: SyncContext, onProgress: (progress: SyncProgress) => void): Promise<SyncProgress> {
  let progress: SyncProgress = { batch: 0, totalPulled: 0, hasMore: true, total: 0 };
  let total: number | undefined;
  for (;;) {
    ctx.checkpoint();
    const result = await pullBatch(ctx, { withTotal: progress.batch === 0 });
    if (total === undefined && result.total !== undefined) total = result.total;
    const totalPulled = progress.totalPulled + result.received;
    progress = {
      batch: progress.batch + 1,
      totalPulled,
      hasMore: result.hasMore,
      // Changes committed during the catch-up can push the count past the first total.
      total: Math.max(total ?? 0, totalPulled),
    };
    onProgress(progress);
    if (!result.hasMore) return progress;
  }
}
