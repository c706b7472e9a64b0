/**
 * Applying a push: the server's write rules, once for every store. Runs in one store
 * transaction, so a push is written whole or not at all, and the source's applied seq
 * commits with its writes (a batch re-sent after a lost response is acknowledged, not
 * applied again).
 */
import { compareHlc } from '../clock/hlc.ts';
import { recordState } from '../protocol/record-state.ts';
import type { PulledChange, PushRequest, PushResponse, RejectedChange, ServerConflict, SyncChange } from '../protocol/types.ts';
import { isFullAccess, type Access } from './access.ts';
import { isStorableText } from './storable-text.ts';
import { recordKey, type InstanceRecord, type ServerRecord, type ServerRecordWrite, type ServerStore, type ServerStoreTransaction } from './types.ts';

/**
 * The instance rules' part of a push (see `instance-binding.ts`): called in its
 * transaction before anything is written, it refuses the push by throwing, or returns
 * the instance record to keep with it.
 */
export type AdmitPush = (tx: ServerStoreTransaction, applied: number) => Promise<InstanceRecord | undefined>;

/**
 * A server row as the wire carries it. Picked field by field, not passed as it stands:
 * a store (perhaps not ours) may hand back rows with more fields, and clients refuse
 * a pulled change with unknown ones.
 */
export function toPulledChange(row: ServerRecord): PulledChange {
  return { collective: row.collective, id: row.id, hlc: row.hlc, source: row.source, version: row.version, ...recordState(row) };
}

/** The row a change writes: without its `seq` and `baseVersion`. */
function toWrite(change: SyncChange): ServerRecordWrite {
  return { collective: change.collective, id: change.id, hlc: change.hlc, source: change.source, ...recordState(change) };
}

/** Last-write-wins order: the later HLC, ties broken by instance id. */
function isLater(change: SyncChange, row: ServerRecord): boolean {
  const order = compareHlc(change.hlc, row.hlc);
  return order !== 0 ? order > 0 : change.source > row.source;
}

/**
 * Why a valid change still cannot be stored (see `storable-text.ts`), or undefined.
 * Refusing the change alone, not the push, keeps one bad write from blocking its
 * replica's log.
 */
function unstorable(change: SyncChange): string | undefined {
  for (const field of ['collective', 'id', 'hlc'] as const) {
    if (!isStorableText(change[field])) return `${field} contains a NUL character or a lone UTF-16 surrogate`;
  }
  return undefined;
}

/** What the rules say about one change meeting the record's current row. */
type Verdict = 'write' | 'stale' | 'lost' | 'same';

function judge(request: PushRequest, change: SyncChange, row: ServerRecord | undefined): Verdict {
  if (row === undefined) return 'write';
  if (request.policy === 'server-wins') {
    // Optimistic concurrency: somebody else wrote the record after the version this
    // change was based on. The source's own earlier writes never make it stale.
    const stale = row.source !== change.source && (change.baseVersion === null || row.version > change.baseVersion);
    return stale ? 'stale' : 'write';
  }
  if (row.hlc === change.hlc && row.source === change.source) return 'same';
  return isLater(change, row) ? 'write' : 'lost';
}

/**
 * Applies a validated push request for `access` (undefined: full access), once `admit`
 * lets it.
 * - Changes at or below the source's applied seq were applied before: acknowledged only.
 * - Changes the caller may not write are refused `FORBIDDEN`, those no store can keep
 *   `INVALID`; nothing of them is stored.
 * - server-wins: a stale change is refused `CONFLICT`, the server's record in `conflicts`.
 * - last-write-wins: a change older than the server's record is reported in
 *   `conflicts` only (dealt with: the server's record stands).
 */
export async function applyPush(store: ServerStore, request: PushRequest, access: Access | undefined, admit?: AdmitPush): Promise<PushResponse> {
  const seqKey = appliedSeqKey(request.instanceId, access);
  let highestWritten = 0;
  const result = await store.transaction(async (tx) => {
    const applied = await tx.getAppliedSeq(seqKey);
    const instance = await admit?.(tx, applied);
    const rejected: RejectedChange[] = [];
    const conflicts: ServerConflict[] = [];
    const candidates: SyncChange[] = [];
    for (const change of request.changes) {
      if (change.seq <= applied) continue; // applied before: a re-sent batch
      const invalid = unstorable(change);
      if (invalid !== undefined) {
        rejected.push({ seq: change.seq, collective: change.collective, id: change.id, reason: 'INVALID', message: invalid });
      } else if (access !== undefined && !access.canWrite(change.collective)) {
        rejected.push({
          seq: change.seq,
          collective: change.collective,
          id: change.id,
          reason: 'FORBIDDEN',
          message: `${access.userId} may not write to collective "${change.collective}"`,
        });
      } else {
        candidates.push(change);
      }
    }
    const current = await tx.getRecords(candidates.map(({ collective, id }) => ({ collective, id })));
    const writes = new Map<string, ServerRecordWrite>();
    let accepted = 0;
    for (const change of candidates) {
      const key = recordKey(change.collective, change.id);
      // A record written earlier in this batch was written by this same source with a
      // lower seq (and an earlier HLC): the later change replaces it.
      const verdict = writes.has(key) ? 'write' : judge(request, change, current.get(key));
      if (verdict === 'write') {
        writes.delete(key);
        writes.set(key, toWrite(change));
        accepted++;
      } else if (verdict !== 'same') {
        const server = current.get(key) as ServerRecord;
        // A caller that may write a collective but not read it (an inbox) learns nothing of what it holds.
        const visible = access === undefined || access.canRead(change.collective);
        conflicts.push({ seq: change.seq, collective: change.collective, id: change.id, policy: request.policy, server: visible ? toPulledChange(server) : null });
        if (verdict === 'stale') {
          rejected.push({
            seq: change.seq,
            collective: change.collective,
            id: change.id,
            reason: 'CONFLICT',
            message: `the record is at ${visible ? `version ${server.version}` : 'a later version'}, written by another replica after the version this change was based on (${change.baseVersion ?? 'none'})`,
          });
        }
      }
    }
    if (writes.size > 0) highestWritten = (await tx.writeRecords([...writes.values()])).reduce((most, row) => Math.max(most, row.version), 0);
    const lastSeq = request.changes[request.changes.length - 1]?.seq ?? 0;
    if (lastSeq > applied) await tx.setAppliedSeq(seqKey, lastSeq);
    if (instance !== undefined) await tx.putInstance(instance);
    rejected.sort((a, b) => a.seq - b.seq);
    return { accepted, ackedSeq: Math.max(applied, lastSeq), rejected, conflicts };
  });
  // The latest version counts every user's writes: a restricted caller learns only its own.
  return { ...result, newCursor: isFullAccess(access) ? await store.latestVersion() : highestWritten };
}

/**
 * Where a source's applied seq is kept: per caller as well as per instance. Instance
 * ids are not secret (every pulled change names its writer), so with several users a
 * caller pushing under someone else's id must not move that replica's counter, which
 * would make the server acknowledge, and the replica drop, its next writes unapplied.
 * In-process calls (no access) key by the instance alone.
 */
export function appliedSeqKey(instanceId: string, access: Access | undefined): string {
  return access === undefined ? instanceId : `${encodeURIComponent(access.userId)}/${instanceId}`;
}
