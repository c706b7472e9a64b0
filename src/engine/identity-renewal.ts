/**
 * Refusals a replica answers by starting over, then trying the run again.
 *
 * A fresh identity when a server refuses the replica's: `INSTANCE_FORBIDDEN` (the id
 * belongs to another identity or key, perhaps taken by someone who read it off a pulled
 * change) or `INSTANCE_CLONED` (another replica writes under it: a copied browser
 * profile, a restored backup). Waiting cannot fix either, and under the old id the
 * replica would never push again, so it takes a new id (see
 * `LocalStore.startNewIdentity`: pending writes kept and renumbered, pulled again from
 * 0) and the run carries on.
 *
 * A client reset when a server refuses the pull cursor: `CURSOR_EXPIRED` (it swept
 * tombstones after it) or `CURSOR_AHEAD` (a restored or replaced server). The replica
 * pulls again from 0, a snapshot that drops at its end what the replica held and the
 * server no longer does (see `LocalStore.resetPull` and `store/pull-snapshot.ts`).
 * Pending writes stay in the log, receipts and all, and are pushed on top, settled by
 * the conflict policy as usual. It tells `reset` events: `started`, then `done` (from
 * the pull, at the snapshot's last page), or `failed`.
 *
 * At most once per cause per start (a reset's cause is its code and details: the
 * refused cursor, and the gc floor or latest version it was judged by): should the
 * server refuse again for the same cause, something else is wrong and starting over
 * again would only spin, so that refusal fails the run like any other and the loops
 * back off. A refusal for a new cause (the server swept more while a reset's snapshot
 * was cut short) resets again, but not twice in one run: the second waits for the
 * loops' next run, so no server makes a replica reset faster than its backoff.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { InstanceId } from '../protocol/types.ts';
import type { LocalStore, SnapshotCause } from '../store/types.ts';
import type { SyncContext } from './sync-context.ts';

const RENEWING: ReadonlySet<string> = new Set([ErrorCode.INSTANCE_FORBIDDEN, ErrorCode.INSTANCE_CLONED]);
/** The refusals of a pull cursor that start a reset; each names its cause in lower case ('cursor-expired', 'cursor-ahead'). */
const RESETTING: ReadonlySet<string> = new Set([ErrorCode.CURSOR_EXPIRED, ErrorCode.CURSOR_AHEAD]);

/**
 * If `error` refuses the identity `retired`, or the pull cursor of `peer` (undefined:
 * no reset now), for a cause not in `done` (the causes answered since the last start):
 * takes a fresh identity or resets the pull, notes the cause, tells `report` (an
 * `error` event with the cause's code, or a `reset` event) and answers which it did,
 * for the run to go again. Otherwise answers undefined and changes nothing (but tells
 * a `failed` reset event for a cause answered already).
 */
export async function renewIdentity(
  store: LocalStore,
  retired: InstanceId,
  error: SyncError,
  done: Set<string>,
  report: Pick<SyncContext, 'onError' | 'onReset'>,
  peer: string | undefined,
): Promise<'renewed' | 'reset' | undefined> {
  const { code } = error;
  if (RESETTING.has(code)) {
    const reset = code.toLowerCase().replace('_', '-') as SnapshotCause;
    const cause = `${code}@${JSON.stringify(error.details)}`;
    const tell = (phase: 'started' | 'failed'): void => report.onReset({ cause: reset, phase, instanceId: retired });
    if (done.has(cause)) tell('failed');
    else if (peer !== undefined) {
      done.add(cause);
      await store.resetPull(peer, reset);
      tell('started');
      return 'reset';
    }
    return undefined;
  }
  if (!RENEWING.has(code) || done.has(code)) return undefined;
  done.add(code);
  const instanceId = await store.startNewIdentity(retired);
  report.onError(
    new SyncError(code, `Instance id ${retired} refused (${error.message}); now ${instanceId}, pending writes kept`, {
      details: { retired, instanceId },
    }).toJSON(),
  );
  return 'renewed';
}
