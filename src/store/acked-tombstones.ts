/**
 * The replica's own tombstones go once the server has dealt with their deletes.
 *
 * Why a local delete leaves a tombstone at all: its change waits in the log, and the
 * row says "deleted" (with its clock) until the server has it. Once acknowledged, the
 * server keeps the tombstone (and sweeps it after its horizon); kept here, it would only
 * grow the replica. A tombstone some later change needs is not this one any more: a
 * later local write of the record replaced the row (with its own clock), and so did a
 * newer state from the server. So the row goes only while it is still this delete:
 * a tombstone with the delete's clock.
 */
import type { Hlc } from '../clock/hlc.ts';
import type { RecordKey } from '../protocol/types.ts';
import type { LogEntry } from './schema.ts';

/** A delete of this replica, as its log entry wrote it. */
export type AckedDelete = RecordKey & { readonly hlc: Hlc };

/** The deletes among the changes of `entries` up to `ackedSeq`. */
export function ackedDeletes(entries: readonly LogEntry[], ackedSeq: number): AckedDelete[] {
  const deletes: AckedDelete[] = [];
  for (const entry of entries) {
    entry.changes.forEach((change, i) => {
      if (change.op === 'delete' && entry.seq + i <= ackedSeq) deletes.push({ collective: change.collective, id: change.id, hlc: entry.hlc });
    });
  }
  return deletes;
}
