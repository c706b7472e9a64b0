/**
 * The IndexedDB replica's apply of server states, never logged (echo prevention): a
 * feed batch with its pull cursor, or states learnt from a push's conflicts. Each is
 * one transaction; the decisions are the shared plans of `write-plans.ts`.
 */
import type { ConflictPolicy, PulledChange, RecordKey } from '../protocol/types.ts';
import { fieldsIn } from './field-seam.ts';
import type { IdbConnection } from './idb-connection.ts';
import { requestResult } from './idb-transaction.ts';
import { beginSnapshot, staleTest, withoutOwnRowsOfPending, type PullSnapshot } from './pull-snapshot.ts';
import { cursorKey, fromRecordRow, MetaKey, Stores, toRecordRow, type LogEntry, type RecordRow, type ReplicaRecord, type WriteState } from './schema.ts';
import type { ApplyResult, ChangeEvent, CursorAdvance, SnapshotCause } from './types.ts';
import { uuidV7 } from './uuid-v7.ts';
import { planFeedBatch, planServerStates, type ClockBound, type RemotePlan } from './write-plans.ts';

/** How many rows a snapshot reads at once: a pull page's worth (500 by default). */
const BATCH = 500;

/** Feeds `visit` every record in key order, {@link BATCH} at a time, until it returns true. */
async function walk(conn: IdbConnection, records: IDBObjectStore, visit: (rows: RecordRow[]) => unknown): Promise<void> {
  for (let last: RecordRow | undefined; ; ) {
    const rows = (await requestResult(records.getAll(last && conn.settings.keyRange.lowerBound([last.collective, last.id], true), BATCH))) as RecordRow[];
    if (visit(rows) || !(last = rows[BATCH - 1])) return;
  }
}

/** The record `records` (of a running transaction) holds for `key`, if any. */
function heldRecord(records: IDBObjectStore, key: RecordKey): Promise<ReplicaRecord | undefined> {
  return (requestResult(records.get([key.collective, key.id])) as Promise<RecordRow | undefined>).then((row) => row && fromRecordRow(row));
}

/**
 * A feed batch and its cursor, in one transaction. Never touches the log (echo
 * prevention). No per-record reads but of records a change marks as this replica's lost
 * write (`over`, rare): the server's row is newer than any acknowledged
 * local state, so only records with a pending local change need a decision, and those
 * come from one read of the (small) log. A pull from 0 begins a snapshot and a last
 * page ends one (see `pull-snapshot.ts`): each walks the records {@link BATCH} at a time,
 * the first page until it meets one the snapshot may drop.
 * With field-level records their plan decides, given what it meets: each record of the
 * batch, read in the batch's transaction (`field-seam.ts`).
 */
export function applyFeedBatch(
  conn: IdbConnection,
  changes: readonly PulledChange[],
  policy: ConflictPolicy,
  cursor: CursorAdvance,
  clock: ClockBound,
): Promise<RemotePlan & Pick<ApplyResult, 'reset'> & { readonly dropped?: ChangeEvent['changes'] }> {
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
    let snapshot = kept;
    if (cursor.from === 0 && cursor.mark !== undefined) {
      // No write per held row: its pages' rows carry `gen`, local writes a later hlc than `since`.
      // `gen` only if a held row may go: a first sync's end then has nothing to walk.
      const begun = beginSnapshot(cursor, entries, state?.hlc);
      const stale = staleTest(begun);
      let gen: string | undefined;
      await walk(conn, records, (rows) => rows.some(stale) && (gen = uuidV7()));
      // A reset's cause stays; the rest is this snapshot's.
      snapshot = { ...kept, ...begun, gen };
      meta.put(snapshot, MetaKey.snapshot);
    }
    const seen = snapshot?.gen;
    for (const change of plan.written) records.put({ ...toRecordRow(change), seen });
    meta.put(plan.state, MetaKey.writeState);
    cursors.put(cursor.to, key);
    if (cursor.mark !== undefined) cursors.put(cursor.mark, cursorKey.mark(cursor.peer));
    if (!snapshot || !cursor.last) return plan;
    meta.delete(MetaKey.snapshot);
    const stale = staleTest(snapshot);
    // One walk tells what goes (its keys, not its rows), holding no more than a batch of
    // the rows that stay: when no more stay, the store is cleared and they are written
    // back. WebKit's in-memory IndexedDB (its automation, private browsing) deletes a row
    // in a time that grows with the store's indexes: in a 20,000-row store with the
    // demo's two, 20,000 deletes did not finish in 45 s, 2,000 in four key ranges took
    // 47 s; this walk and clear took 0.2 s.
    const held: RecordRow[] = [];
    const dropped: ChangeEvent['changes'][number][] = [];
    // No `gen`: nothing it may drop.
    if (seen) {
      await walk(conn, records, (rows) => {
        for (const row of rows) {
          // A row dropped is a delete to the app (a tombstone too, as a pulled delete of one is).
          if (row.seen !== seen && stale(row)) dropped.push({ collective: row.collective, id: row.id, op: 'delete' });
          else if (held.length <= BATCH) held.push(row);
        }
      });
    }
    if (held.length > BATCH) for (const key of dropped) records.delete([key.collective, key.id]);
    else if (dropped[0]) {
      // Some go, and few enough stay to hold.
      records.clear();
      for (const row of held) records.put(row);
    }
    return { ...plan, dropped, reset: snapshot.cause && { cause: snapshot.cause, dropped: dropped.length } };
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
