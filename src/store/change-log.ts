/**
 * Pure helpers over change-log entries: an entry holds the changes of one local write
 * transaction, change i carrying seq `entry.seq + i`.
 */
import type { Hlc } from '../clock/hlc.ts';
import type { InstanceId, PushedChange, RecordState } from '../protocol/types.ts';
import { recordKey } from '../protocol/record-key.ts';
import { recordState } from '../protocol/record-state.ts';
import type { LogEntry, LoggedChange } from './schema.ts';

/** Seq of the last change of `entry`. */
export function lastSeqOf(entry: LogEntry): number {
  return entry.seq + entry.changes.length - 1;
}

/**
 * Appends the changes of `entry` to `out` as wire changes until `out` holds `limit`;
 * an entry may be split across the limit (the rest comes with the next call).
 */
export function appendSyncChanges(out: PushedChange[], entry: LogEntry, source: InstanceId, limit: number): void {
  for (let i = 0; i < entry.changes.length && out.length < limit; i++) {
    const change = entry.changes[i] as LoggedChange;
    // A logged change is a key and a state, nothing else (toLoggedChanges made it).
    out.push({ seq: entry.seq + i, source, ...change, hlc: entry.hlc, baseVersion: entry.baseVersion });
  }
}

/**
 * What remains of `entry` once every seq up to `ackedSeq` is acknowledged, keyed by its
 * new first seq; undefined if nothing remains.
 */
export function trimEntry(entry: LogEntry, ackedSeq: number): LogEntry | undefined {
  if (lastSeqOf(entry) <= ackedSeq) return undefined;
  if (entry.seq > ackedSeq) return entry;
  return { ...entry, seq: ackedSeq + 1, changes: entry.changes.slice(ackedSeq + 1 - entry.seq) };
}

/** The latest pending local state of a record, and when it was written. */
export type PendingState = RecordState & { readonly hlc: Hlc };

/**
 * The latest pending state of every record with a change in `entries` (in seq order),
 * for last-write-wins (patches, which name fields and not a state, are only written
 * under `field-last-write-wins`, which merges instead: see `replica-fields.ts`).
 */
export function pendingByRecord(entries: readonly LogEntry[]): Map<string, PendingState> {
  const pending = new Map<string, PendingState>();
  for (const entry of entries) {
    for (const change of entry.changes) {
      pending.set(recordKey(change.collective, change.id), { ...recordState(change as RecordState), hlc: entry.hlc });
    }
  }
  return pending;
}

/**
 * The highest server version each record's pending changes were based on, for records
 * with a change in `entries` based above `after` (normally none: a write is based on the
 * pull cursor, which only grows; a conflict's resolution may be based further on).
 */
export function basesAbove(entries: readonly LogEntry[], after: number): Map<string, number> {
  const bases = new Map<string, number>();
  for (const entry of entries) {
    if (entry.baseVersion === null || entry.baseVersion <= after) continue;
    for (const change of entry.changes) {
      const key = recordKey(change.collective, change.id);
      bases.set(key, Math.max(bases.get(key) ?? 0, entry.baseVersion));
    }
  }
  return bases;
}
