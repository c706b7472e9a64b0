/**
 * Pull: read the server's change feed from the saved cursor and apply it, each batch
 * with its cursor in one store transaction.
 *
 * The next batch is requested as soon as the current one's answer is in (its
 * `newCursor` is the next `from`), so the request, the server's query and the JSON
 * travel while the current batch is written to IndexedDB. Measured by `npm run bench`
 * (section 2, "engine in the page"): one after another, an initial sync spent ~40% of
 * its time waiting on pulls and ~55% applying; overlapped, the waits mostly vanish.
 * Batches are still applied strictly in feed order, each with its cursor.
 */
import { ErrorCode, isSyncError } from '../protocol/errors.ts';
import { FIELDS_BUILT } from '../protocol/fields-built.ts';
import type { PullRequest, PullResponse, SyncCursor, SyncProgress } from '../protocol/types.ts';
import { readAckState } from './acks.ts';
import { settleLocalConflict } from './conflicts.ts';
import { checkPullResponse } from './pull-response-check.ts';
import type { SyncContext } from './sync-context.ts';

/** What one pulled batch did. */
export interface PulledBatch {
  /** Changes the server sent in this batch. */
  readonly received: number;
  readonly hasMore: boolean;
  /** Changes remaining from the batch's cursor on, this batch included, when asked. */
  readonly total?: number;
}

/** A pull request on its way: what it asked (from `request.cursor`) and the server's answer. */
interface PullInFlight {
  readonly request: PullRequest;
  readonly response: Promise<PullResponse>;
}

function requestPull(ctx: SyncContext, from: SyncCursor, withTotal: boolean, mark: SyncCursor | undefined): PullInFlight {
  const { config } = ctx;
  const request: PullRequest = {
    ...ctx.sender,
    cursor: from,
    // Only a server announcing `cursor-expiry` sends a mark, so only such a server gets one
    // (and reads it only with a cursor above 0).
    ...(mark === undefined ? {} : { snapshotMark: mark }),
    batchSize: config.pullBatchSize,
    ...(config.collectives === undefined ? {} : { collectives: config.collectives }),
    ...(withTotal ? { withTotal: true } : {}),
    // Field-level records merge by their stamps: only their replicas ask for them.
    ...(FIELDS_BUILT && config.conflictResolution === 'field-last-write-wins' && { fields: true }),
  };
  const response = ctx.transport.pull(request);
  // A request asked ahead may be dropped (stop, a failed apply): that must not surface
  // as an unhandled rejection. Whoever uses it awaits it and sees its failure.
  response.catch(() => undefined);
  return { request, response };
}

/**
 * Applies one answered pull. The cursor is checked and moved inside the store's
 * transaction: if another tab applied the batch first (the store answers `CONFLICT`),
 * nothing is written and `undefined` says to start again from the stored cursor.
 */
async function applyPulled(ctx: SyncContext, from: SyncCursor, acked: number, response: PullResponse): Promise<PulledBatch | undefined> {
  let conflicts;
  // A pull from 0 is a snapshot: writes the server refused stay (see store/pull-snapshot.ts),
  // but for conflicts, which took the server's record.
  const keep = from === 0 ? (await readAckState(ctx.store)).kept.refusals.filter((r) => r.reason !== 'CONFLICT') : undefined;
  try {
    const result = await ctx.store.applyRemote(response.changes, {
      policy: ctx.config.conflictResolution,
      cursor: {
        peer: ctx.peer,
        from,
        to: response.newCursor,
        last: !response.hasMore,
        mark: from === 0 ? response.snapshotMark : undefined,
        // A restricted reader's snapshot says which collectives it covers (see PullResponse.collectives).
        collectives: response.collectives ?? ctx.config.collectives,
        keep,
        acked,
      },
      maxClockDriftMs: ctx.config.maxClockDriftMs,
    });
    conflicts = result.conflicts;
    if (result.reset !== undefined) ctx.onReset({ ...result.reset, phase: 'done', instanceId: ctx.sender.instanceId });
  } catch (error) {
    if (!isSyncError(error, ErrorCode.CONFLICT)) throw error;
    return undefined;
  }
  for (const conflict of conflicts) ctx.onConflict(await settleLocalConflict(ctx, conflict));
  return {
    received: response.changes.length,
    hasMore: response.hasMore,
    ...(response.total === undefined ? {} : { total: response.total }),
  };
}

/**
 * Pulls and applies batches from the saved cursor until the server says there is no
 * more, calling `onBatch` after each (a batch lost to another tab counts as an empty
 * one with more to come). The request for batch n+1 is in flight while batch n is
 * applied; `ctx.checkpoint()` runs before each apply. Returns (or throws) only once no
 * request it made is still on its way, so a stopped manager leaves nothing behind.
 */
async function pullBatches(ctx: SyncContext, withTotal: boolean, onBatch: (batch: PulledBatch) => void): Promise<void> {
  // Only requests still on the wire: a settled one is dropped at once, so a long
  // catch-up does not keep every batch it pulled alive until it ends.
  const asked = new Set<Promise<unknown>>();
  // The snapshot mark sent with every pull after the first page of a pull from 0.
  let mark: SyncCursor | undefined;
  const ask = (from: SyncCursor, total: boolean): PullInFlight => {
    const request = requestPull(ctx, from, total, mark);
    const settled = request.response.then(
      () => undefined,
      () => undefined,
    );
    asked.add(settled);
    void settled.then(() => asked.delete(settled));
    return request;
  };
  // Ask for `total` until an answer has brought it (a first batch lost to another tab
  // did not, and the progress of an initial sync needs it).
  let needTotal = withTotal;
  // The push cursor, read before the first request of a run and kept for each request
  // asked after it: a batch is applied only if no push was acknowledged since (see
  // `CursorAdvance.acked`); reading it before asking is what makes that safe.
  let acked = 0;
  /** Asks again from the stored cursor, with the stored mark. */
  const resume = async (): Promise<PullInFlight> => {
    let cursor;
    [mark, acked, cursor] = await Promise.all([ctx.store.snapshotMark(ctx.peer), ctx.store.pushCursor(ctx.peer), ctx.store.pullCursor(ctx.peer)]);
    return ask(cursor, needTotal);
  };
  try {
    let inFlight = await resume();
    for (;;) {
      ctx.checkpoint();
      const response = await inFlight.response;
      // Before anything else, even asking for the next page: an answer that does not
      // fit its request is not applied, and its cursor is not followed.
      checkPullResponse(inFlight.request, response);
      if (inFlight.request.cursor === 0) mark = response.snapshotMark;
      const next = response.hasMore ? ask(response.newCursor, false) : undefined;
      const batch = await applyPulled(ctx, inFlight.request.cursor, acked, response);
      if (batch === undefined) {
        // Another tab moved the cursor, or a push was acknowledged: what was asked ahead
        // starts from the wrong place, or may be as stale.
        onBatch({ received: 0, hasMore: true });
        ctx.checkpoint();
        inFlight = await resume();
        continue;
      }
      if (batch.total !== undefined) needTotal = false;
      onBatch(batch);
      if (next === undefined) return;
      inFlight = next;
    }
  } finally {
    await Promise.allSettled([...asked]);
  }
}

/** Pulls batch after batch until the server says there is no more; returns the count. */
export async function pullUntilCaughtUp(ctx: SyncContext): Promise<number> {
  let received = 0;
  ctx.checkpoint();
  await pullBatches(ctx, false, (batch) => {
    received += batch.received;
  });
  return received;
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
  ctx.checkpoint();
  await pullBatches(ctx, true, (result) => {
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
  });
  return progress;
}
