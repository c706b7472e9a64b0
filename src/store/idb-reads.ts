/**
 * The IndexedDB replica's reads: records for the app, pending changes and cursors for
 * the engine. Each is one read-only transaction; rows pass through the schema's one
 * row↔record mapping (`fromRecordRow`).
 */
import type { InstanceId, PushedChange, SyncCursor } from '../protocol/types.ts';
import { appendSyncChanges } from './change-log.ts';
import type { IdbConnection } from './idb-connection.ts';
import { requestResult } from './idb-transaction.ts';
import { fromRecordRow, INITIAL_WRITE_STATE, MetaKey, Stores, type LogEntry, type RecordRow, type WriteState } from './schema.ts';
import type { RecordEntry } from './types.ts';
import { toRecordEntry } from './write-plans.ts';

/** One live record, or undefined if absent or deleted. */
export async function readRecord(conn: IdbConnection, collective: string, id: string): Promise<RecordEntry | undefined> {
  const row = await conn.run('get', [Stores.records], 'readonly', (tx) => requestResult(tx.objectStore(Stores.records).get([collective, id])));
  return row === undefined ? undefined : toRecordEntry(fromRecordRow(row as RecordRow));
}

/** Every live record of a collective, ordered by id. */
export async function readCollective(conn: IdbConnection, collective: string): Promise<RecordEntry[]> {
  // Arrays sort after strings in IndexedDB keys, so [c, []] is above every [c, id].
  const range = conn.settings.keyRange.bound([collective], [collective, []]);
  const rows = await conn.run('list', [Stores.records], 'readonly', (tx) => requestResult(tx.objectStore(Stores.records).getAll(range)));
  const entries: RecordEntry[] = [];
  for (const row of rows as RecordRow[]) {
    const entry = toRecordEntry(fromRecordRow(row));
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

/** The oldest unacknowledged changes of `source`, in seq order, at most `limit` (> 0). */
export function readPendingChanges(conn: IdbConnection, source: InstanceId, limit: number): Promise<PushedChange[]> {
  return conn.run('pendingChanges', [Stores.log], 'readonly', (tx) => {
    // A cursor rather than getAll: one entry may hold thousands of changes, so only
    // read entries until `limit` changes are in hand.
    const out: PushedChange[] = [];
    const request = tx.objectStore(Stores.log).openCursor();
    return new Promise<PushedChange[]>((resolve, reject) => {
      request.onsuccess = () => {
        const cursor = request.result;
        if (cursor === null) return resolve(out);
        appendSyncChanges(out, cursor.value as LogEntry, source, limit);
        if (out.length >= limit) resolve(out);
        else cursor.continue();
      };
      request.onerror = () => reject(request.error);
    });
  });
}

/** How many changes wait in the change log. */
export function readPendingCount(conn: IdbConnection): Promise<number> {
  return conn.run('pendingCount', [Stores.log, Stores.meta], 'readonly', async (tx) => {
    // Seqs are contiguous and acknowledgement only removes a prefix, so the count is
    // the span from the first logged seq to the last allocated one: no scan.
    const [state, firstSeq] = await Promise.all([
      requestResult(tx.objectStore(Stores.meta).get(MetaKey.writeState)),
      requestResult(tx.objectStore(Stores.log).getKey(conn.settings.keyRange.lowerBound(0))),
    ]);
    if (firstSeq === undefined) return 0;
    return ((state as WriteState | undefined) ?? INITIAL_WRITE_STATE).seq - (firstSeq as number) + 1;
  });
}

/** A cursor under `key` of the `cursors` store; 0 if none. */
export async function readCursor(conn: IdbConnection, what: string, key: string): Promise<SyncCursor> {
  const value = await conn.run(what, [Stores.cursors], 'readonly', (tx) => requestResult(tx.objectStore(Stores.cursors).get(key)));
  return typeof value === 'number' ? value : 0;
}
