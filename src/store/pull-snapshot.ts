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
 * page of the snapshot or locally, is kept. Neither replica writes or lists anything per
 * held row for this: rows its pages (and a push's conflicts) write meanwhile carry the
 * snapshot's `gen` (`RecordRow.seen`; the memory replica keeps those record objects in
 * a WeakSet), a local write has an hlc above the replica's clock at the first page
 * (`since`; pending or acknowledged by the end), and what the first page spared
 * (pending, kept) is kept in `meta`, so the last page drops the candidates with none of
 * these; a snapshot cut short (a worker restart) goes on from its stored cursor with
 * the same. A write per row would be 20,000 puts for a 20,000-record device, which
 * WebKit did not finish in two minutes; a list of the held rows would hold a
 * million-record replica twice in memory.
 *
 * Memory stays bounded: the IndexedDB replica's first page reads records a batch at a
 * time until it meets a candidate, and its last page walks them all a batch at a time,
 * holding no rows but the keys of those it drops (and a batch of those it keeps, to
 * write back after a clear when no more stay; see `idb-remote-apply.ts`). The drop stays
 * in the last page's transaction: it could go on over several (the rules above hold
 * while the snapshot is in `meta`), but a clear and its write-back must commit
 * together, and the change event tells the deletes once they are all committed.
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

/** The snapshot a pull from 0 with a mark begins, before its first page: what it spares (pending writes in `entries`, refusals it keeps), where, and `since`. */
export function beginSnapshot(cursor: CursorAdvance, entries: readonly LogEntry[], since: Hlc | undefined): PullSnapshot {
  // Pending writes are spared by key: acknowledged later, they have no log entry at its end.
  return { keep: [...(cursor.keep ?? []), ...entries.flatMap((e) => e.changes)], collectives: cursor.collectives, since };
}

/**
 * Whether a held record is one `snapshot` drops, unless a page of it wrote the record
 * (which each replica marks its own way): held since before its first page (no later
 * hlc than `since`: a local write since has a later one, pending or not), in its
 * collectives, not kept (what was pending then is).
 */
export function staleTest(snapshot: PullSnapshot): (record: RecordKey & { readonly hlc: Hlc }) => boolean {
  const kept = new Set(snapshot.keep?.map((r) => recordKey(r.collective, r.id)));
  // No `since` (nothing ever written): nothing to drop.
  return (r) => r.hlc <= (snapshot.since as Hlc) && !kept.has(recordKey(r.collective, r.id)) && (snapshot.collectives?.includes(r.collective) ?? true);
}

/** `changes` without the rows of `self` for records with a pending change in `entries` (see the file comment). */
export function withoutOwnRowsOfPending(changes: readonly PulledChange[], entries: readonly LogEntry[], self: InstanceId): readonly PulledChange[] {
  const pending = pendingByRecord(entries);
  return changes.filter((c) => c.source !== self || !pending.has(recordKey(c.collective, c.id)));
}
