/**
 * A pull from cursor 0 is a snapshot: what the replica held before it and the snapshot
 * did not bring is gone from the server, and the replica drops it at the snapshot's
 * last page.
 *
 * Why: a server that sweeps tombstones (`cursor-expiry`) refuses a pull whose cursor is
 * below its gc floor, but never one from 0. A replica at 0 may still hold records
 * whose deletes it can no longer learn: after a client reset (`LocalStore.resetPull`),
 * or before its first pull went through, when it wrote and pushed while offline. Such
 * a server serves the puller's own rows in a snapshot's pages (cursor 0, or below the
 * mark), which echo prevention hides otherwise, so "not brought" means "not there".
 *
 * The candidates are the records held when the first page lands (the answer carries a
 * mark: the server is such a server), with no pending change, in the collectives the
 * snapshot covers (a restricted reader's answer names them, `PullResponse.collectives`:
 * one it may write but not read never brings even its own rows), but for writes the
 * server refused (they stay local, as `push.ts` says). A candidate written since, by a
 * page of the snapshot or locally, is kept. The IndexedDB replica writes nothing per
 * held row for this: rows its pages (and a push's conflicts) write meanwhile carry the
 * snapshot's `gen` (`RecordRow.seen`), a local write has an hlc above the replica's clock
 * at the first page (`since`), and what the first page spared (pending, kept) is kept in
 * `meta`, so the last page drops the candidates with neither; a snapshot cut short (a
 * worker restart) goes on from its stored cursor with the same. A write per row would
 * be 20,000 puts for a 20,000-record device, which WebKit did not finish in two
 * minutes. The memory replica compares record objects.
 *
 * The replica's own rows in those pages never touch a record it has changed since: the
 * server takes a replica's pending change over its own older row, whatever the policy
 * (see `server/apply-push.ts`), so that change must stay, and stays unreported. The
 * others are written (they are what the server holds) but tell no change event: the
 * replica wrote them itself.
 *
 * What it cannot see: a write pending when the first page landed, applied by the server
 * before the mark (its answer lost), then deleted by another replica and that delete
 * swept before the snapshot reached it. The replica keeps that record.
 */
import { recordKey } from '../protocol/record-key.ts';
import type { Hlc } from '../clock/hlc.ts';
import type { InstanceId, PulledChange, RecordKey } from '../protocol/types.ts';
import { pendingByRecord } from './change-log.ts';
import type { LogEntry } from './schema.ts';
import type { CursorAdvance, SnapshotCause } from './types.ts';

/** A snapshot under way, kept in `meta`: why (a reset's cause), and what its first page fixed. */
export interface PullSnapshot extends Pick<CursorAdvance, 'keep' | 'collectives'> {
  readonly cause?: SnapshotCause | undefined;
  /** Set when the first page landed with a mark and found candidates to drop: the stamp of rows written since. */
  readonly gen?: string | undefined;
  /** The replica's clock at the first page: rows written locally since have a later hlc. */
  readonly since?: Hlc | undefined;
}

/** The records a snapshot may drop: held, no pending change in `entries`, in its collectives, not kept. */
export function snapshotCandidates<R extends RecordKey>(records: readonly R[], entries: readonly LogEntry[], cursor: Pick<CursorAdvance, 'keep' | 'collectives'>): R[] {
  const spared = new Set([...pendingByRecord(entries).keys(), ...(cursor.keep ?? []).map((r) => recordKey(r.collective, r.id))]);
  return records.filter((r) => !spared.has(recordKey(r.collective, r.id)) && (cursor.collectives?.includes(r.collective) ?? true));
}

/** `changes` without the rows of `self` for records with a pending change in `entries` (see the file comment). */
export function withoutOwnRowsOfPending(changes: readonly PulledChange[], entries: readonly LogEntry[], self: InstanceId): readonly PulledChange[] {
  if (!changes.some((c) => c.source === self)) return changes;
  const pending = pendingByRecord(entries);
  return changes.filter((c) => c.source !== self || !pending.has(recordKey(c.collective, c.id)));
}
