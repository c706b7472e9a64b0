/**
 * A fresh identity when a server refuses the replica's: `INSTANCE_FORBIDDEN` (the id
 * belongs to another identity or key, perhaps taken by someone who read it off a pulled
 * change) or `INSTANCE_CLONED` (another replica writes under it: a copied browser
 * profile, a restored backup). Waiting cannot fix either, and under the old id the
 * replica would never push again, so it takes a new id (see
 * `LocalStore.startNewIdentity`: pending writes kept and renumbered, pulled again from
 * 0) and the run carries on.
 *
 * A client reset is the same step: the server refused the pull cursor, `CURSOR_EXPIRED`
 * (tombstones after it swept) or `CURSOR_AHEAD` (a restored or replaced server). The
 * replica pulls a fresh snapshot from 0 and drops at its end what the snapshot lacks
 * (deletes it missed). Why a new id too: the server hides the puller's own rows from
 * its feed (echo prevention), so under the old id a snapshot could not tell "still
 * there, written by me" from "deleted while I was away". Pending writes stay in the
 * log and are pushed again on top, settled by the conflict policy as usual.
 *
 * At most once per cause per start (a reset's cause is its code and the refused
 * cursor): should the server refuse again for the same cause, something else is wrong
 * and renewing again would only spin, so that refusal fails the run like any other and
 * the loops back off.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { InstanceId } from '../protocol/types.ts';
import type { LocalStore, SnapshotCause } from '../store/types.ts';
import type { SyncContext } from './sync-context.ts';

const RENEWING: ReadonlySet<string> = new Set([ErrorCode.INSTANCE_FORBIDDEN, ErrorCode.INSTANCE_CLONED]);
/** The refusals of a pull cursor that start a reset, and the cause each names. */
const RESET_CAUSES: Partial<Record<string, SnapshotCause>> = { [ErrorCode.CURSOR_EXPIRED]: 'cursor-expired', [ErrorCode.CURSOR_AHEAD]: 'cursor-ahead' };

/**
 * If `error` refuses the identity `retired` or the pull cursor, for a cause not in
 * `done` (the causes answered since the last start): takes a fresh identity (and for a
 * reset, a snapshot), notes the cause, tells `report` (an `error` event with the
 * cause's code, or a `reset` event) and answers true, for the run to go again.
 * Otherwise answers false and changes nothing.
 */
export async function renewIdentity(
  store: LocalStore,
  retired: InstanceId,
  error: SyncError,
  done: Set<string>,
  report: Pick<SyncContext, 'onError' | 'onReset'>,
): Promise<boolean> {
  const { code } = error;
  const reset = RESET_CAUSES[code];
  const cause = reset === undefined ? code : `${code}@${String(error.details?.['cursor'])}`;
  if (done.has(cause)) {
    if (reset !== undefined) report.onReset({ cause: reset, phase: 'failed', instanceId: retired });
    return false;
  }
  if (reset === undefined && !RENEWING.has(code)) return false;
  done.add(cause);
  const instanceId = await store.startNewIdentity(retired, reset);
  if (reset !== undefined) report.onReset({ cause: reset, phase: 'started', instanceId });
  else {
    report.onError(
      new SyncError(code, `Instance id ${retired} refused (${error.message}); now ${instanceId}, pending writes kept`, {
        details: { retired, instanceId },
      }).toJSON(),
    );
  }
  return true;
}
