/**
 * The IndexedDB replica's own writes and their change log: a local write (records, ONE
 * log entry and the write state in one transaction) and the acknowledgement that
 * trims the log and moves the push cursor.
 */
import { recordKey } from '../protocol/record-key.ts';
import type { InstanceId } from '../protocol/types.ts';
import { lastSeqOf, trimEntry } from './change-log.ts';
import type { IdbConnection } from './idb-connection.ts';
import { requestResult } from './idb-transaction.ts';
import { cursorKey, fromRecordRow, MetaKey, Stores, toRecordRow, type LogEntry, type LoggedChange, type RecordRow, type ReplicaRecord, type WriteState } from './schema.ts';
import { planLocalWrite, type LocalWritePlan } from './write-plans.ts';

/**
 * One local write transaction: read the write state inside it (other tabs write too),
 * and the records a patch merges into, tick the clock once, number the changes, put the
 * records and ONE log entry, and save the write state. Records, log entry and counters
 * commit together or not at all. The entry is based on the pull cursor unless
 * `baseVersion` says otherwise.
 */
export function writeLocal(
  conn: IdbConnection,
  what: string,
  instanceId: InstanceId,
  changes: readonly LoggedChange[],
  baseVersion?: number,
): Promise<LocalWritePlan> {
  return conn.run(what, [Stores.records, Stores.log, Stores.meta], 'readwrite', async (tx) => {
    const meta = tx.objectStore(Stores.meta);
    const records = tx.objectStore(Stores.records);
    const patched = changes.filter((change) => change.op === 'patch');
    // All requests at once; puts and deletes need no read (they replace the record).
    const [state, ...rows] = await Promise.all([
      requestResult(meta.get(MetaKey.writeState)) as Promise<WriteState | undefined>,
      ...patched.map((change) => requestResult(records.get([change.collective, change.id])) as Promise<RecordRow | undefined>),
    ]);
    const held = new Map<string, ReplicaRecord | undefined>(patched.map((change, i) => [recordKey(change.collective, change.id), rows[i] && fromRecordRow(rows[i])]));
    const plan = planLocalWrite({ changes, state, instanceId, now: conn.settings.now, baseVersion, held });
    // Not awaited one by one: the requests queue in order and the transaction's
    // completion (or abort) covers them all.
    for (const record of plan.records) records.put(toRecordRow(record));
    tx.objectStore(Stores.log).put(plan.entry);
    meta.put(plan.state, MetaKey.writeState);
    return plan;
  });
}

/**
 * Drops every change up to `ackedSeq` from the log (splitting the entry that straddles
 * it) and moves the push cursor of `peer`, never backwards, in one transaction.
 */
export function acknowledgeLog(conn: IdbConnection, peer: string, ackedSeq: number): Promise<void> {
  // Relaxed: if power loss drops this commit the batch is simply pushed again and the
  // server, which keeps the highest seq it applied per source, recognises it.
  return conn.run('acknowledge', [Stores.log, Stores.cursors], 'readwrite', async (tx) => {
    const log = tx.objectStore(Stores.log);
    const cursors = tx.objectStore(Stores.cursors);
    const upTo = conn.settings.keyRange.upperBound(ackedSeq);
    const [previous, straddling] = await Promise.all([
      requestResult(cursors.get(cursorKey.push(peer))) as Promise<number | undefined>,
      lastEntryAtOrBelow(log, upTo),
    ]);
    log.delete(upTo);
    if (straddling !== undefined && lastSeqOf(straddling) > ackedSeq) {
      const rest = trimEntry(straddling, ackedSeq);
      if (rest !== undefined) log.put(rest);
    }
    if (ackedSeq > (previous ?? 0)) cursors.put(ackedSeq, cursorKey.push(peer));
  }, 'relaxed');
}

/** The log entry with the highest first seq inside `range` (the one an ack may split). */
function lastEntryAtOrBelow(log: IDBObjectStore, range: IDBKeyRange): Promise<LogEntry | undefined> {
  return requestResult(log.openCursor(range, 'prev')).then((cursor) => (cursor === null ? undefined : (cursor.value as LogEntry)));
}
