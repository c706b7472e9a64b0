/**
 * A replica's identity to a server, decided over plain values so that the IndexedDB
 * replica (inside its transactions) and the memory replica (over its maps) keep the
 * same rules: what a handshake says (`identityOf`), and what a fresh identity does to
 * the change log (`renumberLog`).
 *
 * Why renumber: the server keeps, per instance id, the highest seq it applied, and
 * a new id has none. Pending changes keep their order, timestamps and bases; only
 * their seqs start again from 1, so the server takes them as the new id's first writes.
 */
import type { InstanceId, InstanceKey } from '../protocol/types.ts';
import { INITIAL_WRITE_STATE, type LogEntry, type StoredInstanceKey, type WriteState } from './schema.ts';
import type { ReplicaIdentity } from './types.ts';

/** What a handshake tells of `instanceId`: the key kept for it (none kept for another id) and the write counter. */
export function identityOf(instanceId: InstanceId, stored: StoredInstanceKey | undefined, state: WriteState | undefined): ReplicaIdentity {
  const lastSeq = state?.seq ?? 0;
  return stored?.instanceId === instanceId ? { instanceId, instanceKey: stored.key, lastSeq } : { instanceId, lastSeq };
}

/**
 * The key to keep for `instanceId` when a server answered `key` to a handshake that sent
 * `sent`: `key` while the key kept is still `sent`; else the key another tab kept
 * first. Two tabs shaking hands before the first push are each issued a key, and the
 * first push binds the id to one: adopting the first key kept makes both push with it.
 * Undefined when `current` (the id held now) is another.
 */
export function keyToKeep(instanceId: InstanceId, current: InstanceId | undefined, stored: StoredInstanceKey | undefined, key: InstanceKey, sent: InstanceKey | undefined): InstanceKey | undefined {
  if (current !== instanceId) return undefined;
  const held = identityOf(instanceId, stored, undefined).instanceKey;
  return held === sent ? key : held;
}

/** The pending entries (in seq order) renumbered from seq 1, and the write state that counts them. */
export function renumberLog(entries: readonly LogEntry[], state: WriteState | undefined): { entries: LogEntry[]; state: WriteState } {
  let seq = 1;
  const renumbered = entries.map((entry) => {
    const moved = { ...entry, seq };
    seq += entry.changes.length;
    return moved;
  });
  return { entries: renumbered, state: { ...(state ?? INITIAL_WRITE_STATE), seq: seq - 1 } };
}
