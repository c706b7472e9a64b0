/**
 * The IndexedDB replica's apply of server states, never logged (echo prevention): a
 * feed batch with its pull cursor, or states learnt from a push's conflicts. Each is
 * one transaction; the decisions are the shared plans of `write-plans.ts`.
 */
import type { ConflictPolicy, PulledChange, RecordKey } from '../protocol/types.ts';
import { fieldsIn } from './field-seam.ts';
import type { IdbConnection } from './idb-connection.ts';
import { requestResult } from './idb-transaction.ts';
import { snapshotCandidates, withoutOwnRowsOfPending, type PullSnapshot } from './pull-snapshot.ts';
import { cursorKey, fromRecordRow, MetaKey, Stores, toRecordRow, type LogEntry, type RecordRow, type ReplicaRecord, type WriteState } from './schema.ts';
import type { ApplyResult, CursorAdvance, SnapshotCause } from './types.ts';
import { uuidV7 } from './uuid-v7.ts';
import { planFeedBatch, planServerStates, type ClockBound, type RemotePlan } from './write-plans.ts';

/** The record `records` (of a running transaction) holds for `key`, if any. */
function heldRecord(records: IDBObjectStore, key: RecordKey): Promise<ReplicaRecord | undefined> {
  return (requestResult(records.get([key.collective, key.id])) as Promise<RecordRow | undefined>).then((row) => row && fromRecordRow(row));
}

/**
 * A feed batch and its cursor, in one transaction. Never touches the log (echo
 * prevention). No per-record reads: the server's row is newer than any acknowledged
 * local state, so only records with a pending local change need a decision, and those
 * come from one read of the (small) log. A pull from 0 begins a snapshot and its last
 * page ends it (see `pull-snapshot.ts`): both read every record, once per snapshot.
 * With field-level records their plan decides, given what it meets: each record of the
 * batch, read in the batch's transaction (`field-seam.ts`).
 */
export function applyFeedBatch(
  conn: IdbConnection,
  changes: readonly PulledChange[],
  policy: ConflictPolicy,
  cursor: CursorAdvance,
  clock: ClockBound,
): Promise<RemotePlan & Pick<ApplyResult, 'reset'> & { readonly dropped?: RecordRow[] }> {
  // Relaxed: the batch and its cursor commit together, so power loss can only drop
  // both, and the next pull fetches the same batch again.
  return conn.run('applyRemote', [Stores.records, Stores.log, Stores.meta, Stores.cursors], 'readwrite', async (tx) => {
    const meta = tx.objectStore(Stores.meta);
    const cursors = tx.objectStore(Stores.cursors);
    const records = tx.objectStore(Stores.records);
    const key = cursorKey.pull(cursor.peer);
    const [stored, storedAcked, state, entries, kept] = await Promise.all([
      requestResult(cursors.get(key)) as Promise<number | undefined>,
      requestResult(cursors.get(cursorKey.push(cursor.peer))) as Promise<number | undefined>,
      requestResult(meta.get(MetaKey.writeState)) as Promise<WriteState | undefined>,
      requestResult(tx.objectStore(Stores.log).getAll()) as Promise<LogEntry[]>,
      requestResult(meta.get(MetaKey.snapshot)) as Promise<PullSnapshot | undefined>,
    ]);
    const fed = withoutOwnRowsOfPending(changes, entries, conn.instanceId);
    const fields = fieldsIn(conn.settings);
    // The records a change marks as this replica's lost write (`over`, rare) are read to
    // see whether it still holds that write; with field-level records, every one is.
    const met = fields
      ? await fields.meet(conn, tx, fed)
      : {
          // No mark: '' or undefined, which the plan reads as no record.
          held: (await Promise.all(fed.map((c) => c.over && heldRecord(records, c)))) as (ReplicaRecord | undefined)[],
        };
    const plan = (fields?.planFeedBatch ?? planFeedBatch)({ changes: fed, policy, cursor, storedCursor: stored, storedAcked, state, entries, clock, ...met });
    const allRows = () => requestResult(records.getAll()) as Promise<RecordRow[]>;
    let snapshot = kept;
    if (cursor.from === 0 && cursor.mark !== undefined) {
      // What the snapshot spares is fixed now: pending writes (acknowledged later, they
      // have no log entry at its end) and the refusals it keeps; and the collectives it covers.
      const scope = { keep: [...(cursor.keep ?? []), ...entries.flatMap((e) => e.changes)], collectives: cursor.collectives };
      // No write per held row: its pages' rows carry `gen`, local writes a later hlc than `since`.
      const gen = snapshotCandidates(await allRows(), [], scope).length === 0 ? undefined : uuidV7();
      const cause = kept?.cause;
      snapshot = cause === undefined && gen === undefined ? undefined : { cause, gen, since: state?.hlc, ...scope };
      if (snapshot === undefined) meta.delete(MetaKey.snapshot);
      else meta.put(snapshot, MetaKey.snapshot);
    }
    const seen = snapshot?.gen;
    for (const change of plan.written) records.put({ ...toRecordRow(change), seen });
    meta.put(plan.state, MetaKey.writeState);
    cursors.put(cursor.to, key);
    if (cursor.mark !== undefined) cursors.put(cursor.mark, cursorKey.mark(cursor.peer));
    if (snapshot === undefined || !cursor.last) return plan;
    const { cause, gen, since } = snapshot;
    // One read of every row, once per snapshot (as at its first page).
    const rows = gen === undefined ? [] : await allRows();
    const dropped = snapshotCandidates(rows, entries, snapshot).filter((row) => row.seen !== gen && row.hlc <= (since as string));
    // When most rows go, the store is cleared and the rest written back: WebKit's in-memory
    // IndexedDB (its automation, private browsing) did not finish 20,000 deletes in 45 s.
    const gone = new Set(dropped);
    if (dropped.length * 2 > rows.length) {
      records.clear();
      for (const row of rows) if (!gone.has(row)) records.put(row);
    } else for (const row of dropped) records.delete([row.collective, row.id]);
    meta.delete(MetaKey.snapshot);
    return { ...plan, dropped, reset: cause && { cause, dropped: dropped.length } };
  }, 'relaxed');
}

/** See `LocalStore.resetPull`: the pull cursor and mark of `peer` forgotten, and the cause kept, together. */
export function resetPull(conn: IdbConnection, peer: string, cause: SnapshotCause): Promise<void> {
  return conn.run('resetPull', [Stores.cursors, Stores.meta], 'readwrite', async (tx) => {
    const cursors = tx.objectStore(Stores.cursors);
    cursors.delete(cursorKey.pull(peer));
    cursors.delete(cursorKey.mark(peer));
    tx.objectStore(Stores.meta).put({ cause } satisfies PullSnapshot, MetaKey.snapshot);
  });
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
  // The log too, for field-level records: its pending writes tell which writes of this replica a state overruled.
  return conn.run('applyRemote', [Stores.records, Stores.log, Stores.meta], 'readwrite', async (tx) => {
    const records = tx.objectStore(Stores.records);
    const meta = tx.objectStore(Stores.meta);
    const read = Promise.all([
      requestResult(meta.get(MetaKey.writeState)) as Promise<WriteState | undefined>,
      requestResult(meta.get(MetaKey.snapshot)) as Promise<PullSnapshot | undefined>,
      ...changes.map((c) => heldRecord(records, c)),
    ]);
    const fields = fieldsIn(conn.settings);
    const met = fields && (await fields.meet(conn, tx, changes));
    const [state, snapshot, ...held] = await read;
    const plan = (fields?.planServerStates ?? planServerStates)({ changes, policy, held, state, clock, ...(fields && met) });
    // The server holds these: a snapshot under way keeps them (see pull-snapshot.ts).
    for (const change of plan.written) records.put({ ...toRecordRow(change), seen: snapshot?.gen });
    // Both plans give a state (the field-level one that of `planServerStates`).
    meta.put(plan.state, MetaKey.writeState);
    return plan;
  });
}
