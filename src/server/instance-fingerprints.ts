/**
 * Telling a re-sent change from a clone's. A replica numbers its changes 1, 2, 3… and
 * never changes one once made, so a change the server sees again at a seq it already
 * applied is either the very same change (a batch re-sent after a lost answer) or the
 * change of another replica under the same instance id: a copied browser profile or a
 * restored backup, whose log went its own way from the copy on. Before this check the
 * server acknowledged such changes unapplied, and the clone dropped them.
 *
 * The server keeps fingerprints of the changes it was last sent under each id (of each
 * push, the first new change and the last {@link FINGERPRINTS_PER_PUSH}, at most
 * {@link RECENT_FINGERPRINTS} in all), and a change sent again at one of those seqs
 * must match its fingerprint. Two replicas that diverged from one copy and push their
 * first new changes overlap there, whoever pushed first. A clone whose pushes never
 * overlap a fingerprinted seq goes unseen by this check; the handshake's `lastSeq`
 * catches a restored backup that is behind.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { InstanceId, PushedChange } from '../protocol/types.ts';

/** How many `[seq, fingerprint]` pairs an instance keeps (the latest seqs). */
export const RECENT_FINGERPRINTS = 48;
/** Of each push, the fingerprints of its last this many new changes are kept (and of its first). */
export const FINGERPRINTS_PER_PUSH = 15;

/**
 * A 53-bit hash (cyrb53) of what a change does: not a defence against an attacker
 * (instance keys are), only a way to see that two replicas made different changes.
 */
export function changeFingerprint(change: PushedChange): string {
  // A whole-record change's text is as it always was, so fingerprints kept before patches existed still match.
  const what = change.op === 'patch' ? change.fields : (change.value ?? null);
  const text = JSON.stringify([change.hlc, change.collective, change.id, change.op, what]);
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/**
 * Throws `INSTANCE_CLONED` when a change at or below `applied` (the seq the server has
 * applied from this instance) differs from the change it applied at that seq.
 */
export function assertSameChanges(instanceId: InstanceId, recent: readonly (readonly [number, string])[], changes: readonly PushedChange[], applied: number): void {
  if (recent.length === 0) return;
  const known = new Map(recent);
  for (const change of changes) {
    if (change.seq > applied) break; // seqs increase: the rest are new
    const print = known.get(change.seq);
    if (print !== undefined && print !== changeFingerprint(change)) {
      throw new SyncError(
        ErrorCode.INSTANCE_CLONED,
        `Another replica writes under instance id ${instanceId}: its change at seq ${change.seq} differs from the one this server applied under that id (a copied browser profile or a restored backup). Nothing was stored. Start a fresh replica identity, keeping the pending writes, and pull from cursor 0`,
        { details: { instanceId, seq: change.seq } },
      );
    }
  }
}

/** `recent` with the fingerprints of a push's changes above `applied` added, bounded. */
export function withFingerprints(recent: readonly (readonly [number, string])[], changes: readonly PushedChange[], applied: number): [number, string][] {
  const fresh = changes.filter((change) => change.seq > applied);
  const kept = [fresh[0], ...fresh.slice(-FINGERPRINTS_PER_PUSH)].filter((change) => change !== undefined);
  const bySeq = new Map<number, string>(recent.map(([seq, print]) => [seq, print]));
  for (const change of kept) bySeq.set(change.seq, changeFingerprint(change));
  return [...bySeq].sort((a, b) => a[0] - b[0]).slice(-RECENT_FINGERPRINTS);
}
