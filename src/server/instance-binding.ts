/**
 * Instance ids belong to their writers. Ids are public (every pulled change names its
 * writer), so without this any caller who may write a collective could push under
 * another replica's id: that replica's pulls then skip the rows as its own echo and it
 * silently diverges, the rows pass the server-wins stale check as the replica's own, and
 * a huge seq makes the server acknowledge, and drop, the replica's next writes.
 *
 * The rules, for identified callers (an in-process caller, without an {@link Access}, is
 * trusted and only gets the clone check):
 * - The first push under an id binds it to the caller's identity (`Access.userId`) and,
 *   when the push carries a valid instance key, to that key (see `instance-keys.ts`). A
 *   binding made without a key takes the first valid key a later push carries, so
 *   replicas of older clients upgrade in place.
 * - A handshake, push or pull under an id bound to another identity, or bound to a key
 *   the request does not carry, is refused `INSTANCE_FORBIDDEN` and stores nothing.
 *   With `requireKeys`, so is any pull or push without a valid key.
 * - The handshake issues the key (or confirms the valid one the client sent) and
 *   refuses, `INSTANCE_CLONED`, a replica whose `lastSeq` is behind what was applied.
 * - A push whose re-sent changes differ from what was applied is `INSTANCE_CLONED`
 *   (see `instance-fingerprints.ts`); re-sent changes the same as those applied are told
 *   again what the server first answered them (see `instance-answers.ts`).
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { HandshakeRequest, InstanceId, InstanceKey, PullRequest, PushRequest } from '../protocol/types.ts';
import type { Access } from './access.ts';
import type { Admission } from './apply-push.ts';
import { assertSameChanges, withFingerprints } from './instance-fingerprints.ts';
import { instanceKeys } from './instance-keys.ts';
import type { InstanceRecord, ServerStore, ServerStoreTransaction } from './types.ts';

/** Options of {@link instanceGuard}. */
export interface InstanceGuardOptions {
  /**
   * Refuse identified pulls and pushes that carry no valid instance key. Leave off while
   * clients that do not send keys still sync (they keep working, unprotected under a
   * shared identity).
   */
  readonly requireKeys: boolean;
}

/** What a push's instance key proved, checked before its transaction (HMAC is async work). */
export interface InstanceClaim {
  /** The id of the valid key the request carried; undefined when it carried none or a bad one. */
  readonly keyId: string | undefined;
}

/** The instance rules of one server over one store. */
export interface InstanceGuard {
  /** Refuses a handshake under an id the caller may not use; answers the key it must send from now on (undefined in-process). */
  handshake(request: HandshakeRequest, access: Access | undefined): Promise<InstanceKey | undefined>;
  /** Refuses a pull under an id the caller may not use. */
  checkPull(request: PullRequest, access: Access | undefined): Promise<void>;
  /** Checks the key a push carries. */
  claim(request: PushRequest, access: Access | undefined): Promise<InstanceClaim>;
  /**
   * Inside the push's transaction, before anything is written: refuses the push (throws)
   * or admits it, with the record to keep once it is applied and the answers kept for
   * the instance's re-sent changes (see `instance-answers.ts`).
   */
  admitPush(tx: ServerStoreTransaction, request: PushRequest, access: Access | undefined, claim: InstanceClaim, applied: number): Promise<Admission>;
}

function forbidden(instanceId: InstanceId, why: string): SyncError {
  return new SyncError(
    ErrorCode.INSTANCE_FORBIDDEN,
    `Instance id ${instanceId} ${why}, so this replica cannot sync under it. Nothing was stored. Start a fresh replica identity (a new instance id), keeping the pending writes`,
    { details: { instanceId } },
  );
}

/** The instance rules over `store`. */
export function instanceGuard(store: ServerStore, options: InstanceGuardOptions): InstanceGuard {
  const keys = instanceKeys(() => store.secret());

  async function keyIdOf(request: { readonly instanceId: InstanceId; readonly instanceKey?: InstanceKey }, access: Access): Promise<string | undefined> {
    return request.instanceKey === undefined ? undefined : keys.verify(request.instanceKey, access.userId, request.instanceId);
  }

  /** Refuses an identified caller that may not act under `record`'s id (never says whose it is). */
  function assertMayUse(instanceId: InstanceId, record: InstanceRecord | undefined, access: Access, keyId: string | undefined, requireKeys: boolean): void {
    if (record?.owner != null && record.owner !== access.userId) throw forbidden(instanceId, 'belongs to another identity');
    if (record?.keyId != null && keyId !== record.keyId) throw forbidden(instanceId, 'is bound to an instance key this request did not carry');
    if (requireKeys && keyId === undefined) throw forbidden(instanceId, 'needs the instance key a handshake issues, and this request carried none that is valid');
  }

  return {
    async handshake(request, access) {
      const record = await store.getInstance(request.instanceId);
      let answer: InstanceKey | undefined;
      if (access !== undefined) {
        const keyId = await keyIdOf(request, access);
        // No key required here: this is where a replica gets one.
        assertMayUse(request.instanceId, record, access, keyId, false);
        answer = keyId === undefined ? await keys.issue(access.userId, request.instanceId) : request.instanceKey;
      }
      if (request.lastSeq !== undefined && record !== undefined && request.lastSeq < record.seq) {
        throw new SyncError(
          ErrorCode.INSTANCE_CLONED,
          `This replica has made changes up to seq ${request.lastSeq} under instance id ${request.instanceId}, but this server has applied seq ${record.seq} from that id: the replica is a restored backup or a copy of another. Start a fresh replica identity, keeping the pending writes, and pull from cursor 0`,
          { details: { instanceId: request.instanceId, lastSeq: request.lastSeq, appliedSeq: record.seq } },
        );
      }
      return answer;
    },

    async checkPull(request, access) {
      if (access === undefined) return;
      const record = await store.getInstance(request.instanceId);
      // The common case, an id nobody bound to a key and no key required, costs no HMAC.
      if (record?.keyId == null && !options.requireKeys) return assertMayUse(request.instanceId, record, access, undefined, false);
      assertMayUse(request.instanceId, record, access, await keyIdOf(request, access), options.requireKeys);
    },

    async claim(request, access) {
      return { keyId: access === undefined ? undefined : await keyIdOf(request, access) };
    },

    async admitPush(tx, request, access, claim, applied) {
      const record = await tx.getInstance(request.instanceId);
      if (access !== undefined) assertMayUse(request.instanceId, record, access, claim.keyId, options.requireKeys);
      assertSameChanges(request.instanceId, record?.recent ?? [], request.changes, applied);
      const last = request.changes[request.changes.length - 1]?.seq ?? 0;
      const answers = record?.answers;
      if (last <= applied) return { keep: undefined, answers }; // nothing new: nothing to bind, fingerprint or answer anew
      const keep: InstanceRecord = {
        instanceId: request.instanceId,
        owner: record?.owner ?? access?.userId ?? null,
        keyId: record?.keyId ?? (access === undefined ? undefined : claim.keyId) ?? null,
        seq: Math.max(record?.seq ?? 0, last),
        recent: withFingerprints(record?.recent ?? [], request.changes, applied),
        ...(answers === undefined ? {} : { answers }),
      };
      return { keep, answers };
    },
  };
}
