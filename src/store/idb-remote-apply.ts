/**
 * The IndexedDB replica's apply of server states, never logged (echo prevention): a
 * feed batch with its pull cursor, or states learnt from a push's conflicts. Each is
 * one transaction; the decisions are the shared plans of `write-plans.ts`.
 */
import type { ConflictPolicy, PulledChange } from '../protocol/types.ts';
import { fieldsIn } from './field-seam.ts';
import type { IdbConnection } from './idb-connection.ts';
import { requestResult } from './idb-transaction.ts';
import { cursorKey, fromRecordRow, MetaKey, Stores, toRecordRow, type LogEntry, type RecordRow, type WriteState } from './schema.ts';
import type { CursorAdvance } from './types.ts';
import { planFeedBatch, planServerStates, type ClockBound, type RemotePlan } from './write-plans.ts';

/**
 * A feed batch and its cursor, in one transaction. Never touches the log (echo
 * prevention). No per-record reads: the server's row is newer than any acknowledged
 * local state, so only records with a pending local change need a decision, and those
 * come from one read of the (small) log. With field-level records their plan decides,
 * given what it meets: each record of the batch, read in the batch's transaction
 * (`field-seam.ts`).
 */
export function applyFeedBatch(
  conn: IdbConnection,
  changes: readonly PulledChange[],
  policy: ConflictPolicy,
  cursor: CursorAdvance,
  clock: ClockBound,
): Promise<RemotePlan> {
  // Relaxed: the batch and its cursor commit together, so power loss can only drop
  // both, and the next pull fetches the same batch again.
  return conn.run('applyRemote', [Stores.records, Stores.log, Stores.meta, Stores.cursors], 'readwrite', async (tx) => {
    const meta = tx.objectStore(Stores.meta);
    const cursors = tx.objectStore(Stores.cursors);
    const key = cursorKey.pull(cursor.peer);
    const read = Promise.all([
      requestResult(cursors.get(key)) as Promise<number | undefined>,
      requestResult(meta.get(MetaKey.writeState)) as Promise<WriteState | undefined>,
      requestResult(tx.objectStore(Stores.log).getAll()) as Promise<LogEntry[]>,
    ]);
    const fields = fieldsIn(conn.settings);
    const met = await fields?.meet(conn, tx, changes);
    const [stored, state, entries] = await read;
    const plan = (fields?.planFeedBatch ?? planFeedBatch)({ changes, policy, cursor, storedCursor: stored, state, entries, clock, ...met });
    const records = tx.objectStore(Stores.records);
    for (const change of plan.written) records.put(toRecordRow(change));
    meta.put(plan.state, MetaKey.writeState);
    cursors.put(cursor.to, key);
    return plan;
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
  // The log too, for field-level records: its pending writes tell which writes of this replica a state overruled.
  return conn.run('applyRemote', [Stores.records, Stores.log, Stores.meta], 'readwrite', async (tx) => {
    const records = tx.objectStore(Stores.records);
    const meta = tx.objectStore(Stores.meta);
    const read = Promise.all([
      requestResult(meta.get(MetaKey.writeState)) as Promise<WriteState | undefined>,
      ...changes.map((c) => requestResult(records.get([c.collective, c.id])) as Promise<RecordRow | undefined>),
    ]);
    const fields = fieldsIn(conn.settings);
    const met = await fields?.meet(conn, tx, changes);
    const [state, ...rows] = await read;
    const held = rows.map((row) => (row === undefined ? undefined : fromRecordRow(row)));
    const plan = (fields?.planServerStates ?? planServerStates)({ changes, policy, held, state, clock, ...met });
    for (const change of plan.written) records.put(toRecordRow(change));
    if (plan.state !== undefined) meta.put(plan.state, MetaKey.writeState);
    return plan;
  });
}
