/**
 * Push: send the change log to the server, batch by batch, until it is drained.
 */
import { ErrorCode, SyncError, isSyncError } from '../protocol/errors.ts';
import type { PushedChange, PushResponse, SyncChange } from '../protocol/types.ts';
import { keepAck, REFUSAL_OF_REJECT, type ChangeRefusal } from './acks.ts';
import { settleServerConflict } from './conflicts.ts';
import { recordKey } from '../protocol/record-key.ts';
import { inCollectives } from './peer-key.ts';
import type { SyncContext } from './sync-context.ts';

/** Why a local-only change is never sent. */
const LOCAL_ONLY = 'outside config.collectives: kept in this replica, never sent';

/**
 * Pushes pending changes until the log is drained (a batch shorter than `batchSize`);
 * returns how many conflicts the server answered.
 *
 * Changes to collectives outside `config.collectives` are **local-only**: they are
 * dropped from the change log without being sent, and are not sent later either, even
 * if the filter is widened. (Keeping them would block the log forever.)
 *
 * Each batch: send, settle conflicts (take the server's record, ask the resolver),
 * report refused changes as `error`s, then acknowledge: the server stored nothing for
 * a refused change, so it leaves the log too. Conflicts are settled before the
 * acknowledgement so a crash in between re-sends the batch (harmless: the server
 * recognises it) rather than losing the server's winning record.
 *
 * A request the server finds too large (`PAYLOAD_TOO_LARGE`) is split in halves; a
 * single change still too large is reported and dropped from the log, so it cannot
 * hold back the changes after it (the record stays in the replica, unsynced).
 *
 * Every change that leaves the log unaccepted (refused, too large, local-only) is kept
 * as a refusal first, and each acknowledgement is told as an `ack` event (`acks.ts`).
 */
export async function pushPending(ctx: SyncContext): Promise<number> {
  const { store, transport, config } = ctx;
  let conflicts = 0;
  /**
   * Changes per request: halved while the server finds a request too large, then grown
   * back, but never again to a size that failed (until the culprit is found alone).
   */
  let limit = config.batchSize;
  let ceiling = config.batchSize;
  for (;;) {
    ctx.checkpoint();
    const asked = limit;
    const batch = await store.pendingChanges(asked);
    if (batch.length === 0) break;
    const firstSeq = (batch[0] as SyncChange).seq;
    const lastSeq = (batch[batch.length - 1] as SyncChange).seq;
    const outgoing = batch.filter((change) => inCollectives(change.collective, config.collectives));
    let ackedSeq = lastSeq;
    // Never sent, they stay local: refused as such once the server deals with the changes around them.
    const refusals = batch.filter((change) => !outgoing.includes(change)).map((change) => refusal(change, 'LOCAL_ONLY', LOCAL_ONLY));
    if (outgoing.length > 0) {
      let response: PushResponse;
      try {
        response = await transport.push({ ...ctx.sender, policy: config.conflictResolution, changes: outgoing });
      } catch (error) {
        if (!isSyncError(error, ErrorCode.PAYLOAD_TOO_LARGE)) throw error;
        if (batch.length > 1) {
          ceiling = batch.length - 1;
          limit = Math.max(1, Math.floor(batch.length / 2));
          continue;
        }
        // One change the server will never take: waiting would hold back every later one.
        const change = outgoing[0] as SyncChange;
        reportTooLarge(ctx, change, error);
        await acknowledge(ctx, firstSeq, lastSeq, [refusal(change, 'PAYLOAD_TOO_LARGE', error.message)]);
        ceiling = config.batchSize;
        continue;
      }
      conflicts += response.conflicts.length;
      await settleResponse(ctx, outgoing, response);
      const lastOutgoing = (outgoing[outgoing.length - 1] as SyncChange).seq;
      // The server dealt with everything sent: the local-only changes around them go too.
      ackedSeq = response.ackedSeq >= lastOutgoing ? lastSeq : Math.min(response.ackedSeq, lastSeq);
      refusals.push(...response.rejected.map((r) => refusal(r, REFUSAL_OF_REJECT[r.reason], r.message)));
    }
    if (ackedSeq >= firstSeq) await acknowledge(ctx, firstSeq, ackedSeq, refusals);
    if (batch.length < asked) break;
    limit = Math.min(ceiling, limit * 2);
    if (ackedSeq < lastSeq) {
      // The server took only part of the batch; try the rest on the next cycle rather
      // than spinning here.
      break;
    }
  }
  return conflicts;
}

/**
 * The server has dealt with `from`…`upTo`: keep the refusals among them, then drop them
 * from the log (the refusals first: a crash in between re-sends the batch, and its
 * refusals are kept already), then tell the `ack` event.
 */
async function acknowledge(ctx: SyncContext, from: number, upTo: number, refusals: readonly ChangeRefusal[]): Promise<void> {
  const ack = await keepAck(ctx.store, from, upTo, refusals);
  await ctx.store.acknowledge(ctx.peer, upTo, ctx.sender.instanceId);
  ctx.onAck(ack);
}

function refusal(change: Pick<SyncChange, 'seq' | 'collective' | 'id'>, reason: ChangeRefusal['reason'], message: string): ChangeRefusal {
  return { seq: change.seq, collective: change.collective, id: change.id, reason, message };
}


/** Tells the app that a change stays local: the server refuses it as too large. */
function reportTooLarge(ctx: SyncContext, change: SyncChange, error: SyncError): void {
  ctx.onError(
    new SyncError(
      ErrorCode.PAYLOAD_TOO_LARGE,
      `The server refused ${change.collective}/${change.id} (seq ${change.seq}) as too large (${error.message}); it stays here, unsynced: write a smaller value`,
      { details: { seq: change.seq, collective: change.collective, id: change.id }, cause: error },
    ).toJSON(),
  );
}

/**
 * The seq of the latest logged local change of each record. The log still holds the
 * batch just pushed (it is acknowledged after settling) and everything written since.
 * Read only when a push met conflicts, which is rare, so reading the whole log is fine.
 */
async function latestLocalSeqs(ctx: SyncContext): Promise<Map<string, number>> {
  const latest = new Map<string, number>();
  for (const change of await ctx.store.pendingChanges(Number.MAX_SAFE_INTEGER)) {
    latest.set(recordKey(change.collective, change.id), change.seq);
  }
  return latest;
}

async function settleResponse(ctx: SyncContext, sent: readonly PushedChange[], response: PushResponse): Promise<void> {
  const bySeq = new Map(sent.map((change) => [change.seq, change]));
  const conflictSeqs = new Set<number>();
  const latestLocal = response.conflicts.length === 0 ? undefined : await latestLocalSeqs(ctx);
  for (const conflict of response.conflicts) {
    const local = bySeq.get(conflict.seq);
    if (local === undefined) continue; // not ours to settle (a malformed response)
    conflictSeqs.add(conflict.seq);
    const supersededLocally = (latestLocal?.get(recordKey(local.collective, local.id)) ?? 0) > local.seq;
    await settleServerConflict(ctx, local, conflict, { supersededLocally });
  }
  for (const refusal of response.rejected) {
    if (refusal.reason === 'CONFLICT' && conflictSeqs.has(refusal.seq)) continue;
    ctx.onError(
      new SyncError(
        REFUSAL_OF_REJECT[refusal.reason],
        `The server refused ${refusal.collective}/${refusal.id} (seq ${refusal.seq}): ${refusal.message}`,
        { details: { seq: refusal.seq, collective: refusal.collective, id: refusal.id, reason: refusal.reason } },
      ).toJSON(),
    );
  }
}
