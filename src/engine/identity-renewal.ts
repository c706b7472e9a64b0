/**
 * A fresh identity when a server refuses the replica's: `INSTANCE_FORBIDDEN` (the id
 * belongs to another identity or key, perhaps taken by someone who read it off a pulled
 * change) or `INSTANCE_CLONED` (another replica writes under it: a copied browser
 * profile, a restored backup). Waiting cannot fix either, and under the old id the
 * replica would never push again, so it takes a new id (see
 * `LocalStore.startNewIdentity`: pending writes kept and renumbered, pulled again from
 * 0) and the run carries on.
 *
 * At most once per cause per start: should the server refuse the new id as
 * well, something else is wrong and renewing again would only spin, so that refusal
 * fails the run like any other and the loops back off.
 */
import { ErrorCode, SyncError, type SyncErrorData } from '../protocol/errors.ts';
import type { InstanceId } from '../protocol/types.ts';
import type { LocalStore } from '../store/types.ts';

const RENEWING: ReadonlySet<string> = new Set([ErrorCode.INSTANCE_FORBIDDEN, ErrorCode.INSTANCE_CLONED]);

/**
 * If `error` refuses the identity `retired` for a cause not in `done` (the causes
 * answered since the last start): takes a fresh identity, notes the cause, tells
 * `report` (an `error` event with the cause's code) and answers true, for the run to go
 * again. Otherwise answers false and changes nothing.
 */
export async function renewIdentity(store: LocalStore, retired: InstanceId, error: SyncError, done: Set<string>, report: (error: SyncErrorData) => void): Promise<boolean> {
  if (!RENEWING.has(error.code) || done.has(error.code)) return false;
  done.add(error.code);
  const instanceId = await store.startNewIdentity(retired);
  report(
    new SyncError(error.code, `Instance id ${retired} refused (${error.message}); now ${instanceId}, pending writes kept`, {
      details: { retired, instanceId },
    }).toJSON(),
  );
  return true;
}
