/**
 * A fresh identity when a server refuses the replica's: `INSTANCE_FORBIDDEN` (the id
 * belongs to another identity or key, perhaps taken by someone who read it off a pulled
 * change) or `INSTANCE_CLONED` (another replica writes under it: a copied browser
 * profile, a restored backup). Waiting cannot fix either, and under the old id the
 * replica would never push again, so it takes a new id (see
 * `LocalStore.startNewIdentity`: pending writes kept and renumbered, pulled again from
 * 0) and the run carries on.
 *
 * At most once per cause until the next start: should the server refuse the new id as
 * well, something else is wrong and renewing again would only spin, so that refusal
 * fails the run like any other and the loops back off.
 */
import { ErrorCode, SyncError, type SyncErrorData } from '../protocol/errors.ts';
import type { InstanceId } from '../protocol/types.ts';
import type { LocalStore } from '../store/types.ts';

const RENEWING: ReadonlySet<string> = new Set([ErrorCode.INSTANCE_FORBIDDEN, ErrorCode.INSTANCE_CLONED]);

/** Renews a refused identity, once per cause until {@link IdentityRenewal.reset}. */
export class IdentityRenewal {
  readonly #done = new Set<string>();

  /** A new start: each cause may renew once more. */
  reset(): void {
    this.#done.clear();
  }

  /**
   * If `error` refuses the identity `retired` for a cause not yet answered: takes a fresh
   * identity, tells `report` (an `error` event with the cause's code) and answers true,
   * for the run to go again. Otherwise answers false and changes nothing.
   */
  async renew(store: LocalStore, retired: InstanceId, error: SyncError, report: (error: SyncErrorData) => void): Promise<boolean> {
    if (!RENEWING.has(error.code) || this.#done.has(error.code)) return false;
    this.#done.add(error.code);
    const instanceId = await store.startNewIdentity(retired);
    report(
      new SyncError(
        error.code,
        `The server refused instance id ${retired} (${error.message}). This replica now syncs as ${instanceId}: its pending writes are kept and sent under the new id, and it pulls everything again.`,
        { details: { retired, instanceId }, cause: error },
      ).toJSON(),
    );
    return true;
  }
}
