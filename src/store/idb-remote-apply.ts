/**
 * The IndexedDB replica's apply of server states, never logged (echo prevention): a
 * feed batch with its pull cursor, or states learnt from a push's conflicts. Each is
 * one transaction; the decisions are the shared plans of `write-plans.ts`.
 */
import type { ConflictPolicy, PulledChange } from '../protocol/types.ts';
import type { IdbConnection } from './idb-connection.ts';
import { requestResult } from './idb-transaction.ts';
import { recordKey } from '../protocol/record-key.ts';
import { cursorKey, fromRecordRow, MetaKey, Stores, toRecordRow, type LogEntry, type RecordRow, type ReplicaRecord, type ResetSnapshot, type WriteState } from './schema.ts';
import type { ApplyResult, CursorAdvance } from './types.ts';
import { planFeedBatch, planServerStates, staleAfterSnapshot, type ClockBound, type RemotePlan } from './write-plans.ts';

/**
 * A feed batch and its cursor, in one transaction. Never touches the log (echo
 * prevention). No per-record reads: the server's row is newer than any acknowledged
 * local state, so only records with a pending local change need a decision, and those
 * come from one read of the (small) log.
 */
export function applyFeedBatch(
  conn: IdbConnection,
  changes: readonly PulledChange[],
  policy: ConflictPolicy,
  cursor: CursorAdvance,
  clock: ClockBound,
): Promise<RemotePlan & Pick<ApplyResult, 'reset'> & { dropped: ReplicaRecord[] }> {
  // Relaxed: the batch and its cursor commit together, so power loss can only drop
  // both, and the next pull fetches the same batch again.
  return conn.run('applyRemote', [Stores.records, Stores.log, Stores.meta, Stores.cursors], 'readwrite', async (tx) => {
    const meta = tx.objectStore(Stores.meta);
    const cursors = tx.objectStore(Stores.cursors);
    const key = cursorKey.pull(cursor.peer);
    const [stored, state, entries, snapshot] = await Promise.all([
      requestResult(cursors.get(key)) as Promise<number | undefined>,
      requestResult(meta.get(MetaKey.writeState)) as Promise<WriteState | undefined>,
      requestResult(tx.objectStore(Stores.log).getAll()) as Promise<LogEntry[]>,
      requestResult(meta.get(MetaKey.snapshot)) as Promise<ResetSnapshot | undefined>,
    ]);
    const plan = planFeedBatch({ changes, policy, cursor, storedCursor: stored, state, entries, clock });
    const records = tx.objectStore(Stores.records);
    // Rows a reset's snapshot brings are stamped, so its end knows which it did not.
    for (const change of plan.written) records.put(snapshot === undefined ? toRecordRow(change) : { ...toRecordRow(change), seen: snapshot.gen });
    meta.put(plan.state, MetaKey.writeState);
    cursors.put(cursor.to, key);
    if (cursor.mark !== undefined) cursors.put(cursor.mark, cursorKey.mark(cursor.peer));
    if (snapshot === undefined || cursor.last !== true) return { ...plan, dropped: [] };
    // The snapshot's last page: one pass over the records (a reset is rare).
    const rows = (await requestResult(records.getAll())) as RecordRow[];
    const seen = new Set(rows.filter((row) => row.seen === snapshot.gen).map((row) => recordKey(row.collective, row.id)));
    const dropped = staleAfterSnapshot(rows.map(fromRecordRow), (r) => seen.has(recordKey(r.collective, r.id)), entries, snapshot.gen);
    for (const record of dropped) records.delete([record.collective, record.id]);
    meta.delete(MetaKey.snapshot);
    return { ...plan, dropped, reset: { cause: snapshot.cause, dropped: dropped.length } };
  }, 'relaxed');
}

/**
 * Server states learnt outside the feed (a push's conflicts): rare and few, so each
 * record is read (all gets issued at once) and written only if the server's state is
 * newer than what the replica holds. The pull cursor does not move.
 */
export async function applyServerStates(
  conn: IdbConnection,
  changes: readonly PulledChange[],
  policy: ConflictPolicy,
  clock: ClockBound,
): Promise<RemotePlan> {
  if (changes.length === 0) return { written: [], conflicts: [], state: undefined };
  return conn.run('applyRemote', [Stores.records, Stores.meta], 'readwrite', async (tx) => {
    const records = tx.objectStore(Stores.records);
    const meta = tx.objectStore(Stores.meta);
    const [state, ...rows] = await Promise.all([
      requestResult(meta.get(MetaKey.writeState)) as Promise<WriteState | undefined>,
      ...changes.map((c) => requestResult(records.get([c.collective, c.id])) as Promise<RecordRow | undefined>),
    ]);
    const held = rows.map((row) => (row === undefined ? undefined : fromRecordRow(row)));
    const plan = planServerStates({ changes, policy, held, state, clock });
    for (const change of plan.written) records.put(toRecordRow(change));
    if (plan.state !== undefined) meta.put(plan.state, MetaKey.writeState);
    return plan;
  });
}
