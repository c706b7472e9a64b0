/**
 * The IndexedDB replica's own writes and their change log: a local write (records, ONE
 * log entry and the write state in one transaction) and the acknowledgement that
 * trims the log and moves the push cursor.
 */
import type { InstanceId, SyncChange } from '../protocol/types.ts';
import { ackedDeletes } from './acked-tombstones.ts';
import { lastSeqOf, trimEntry } from './change-log.ts';
import type { IdbConnection } from './idb-connection.ts';
import { requestResult } from './idb-transaction.ts';
import { cursorKey, MetaKey, Stores, toRecordRow, type LogEntry, type LoggedChange, type RecordRow, type WriteState } from './schema.ts';
import { planLocalWrite } from './write-plans.ts';

/**
 * One local write transaction: read the write state inside it (other tabs write too),
 * tick the clock once, number the changes, put the records and ONE log entry, and save
 * the write state. Records, log entry and counters commit together or not at all.
 * The entry is based on the pull cursor unless `baseVersion` says otherwise.
 */
export function writeLocal(
  conn: IdbConnection,
  what: string,
  instanceId: InstanceId,
  changes: readonly LoggedChange[],
  baseVersion?: number,
): Promise<SyncChange[]> {
  return conn.run(what, [Stores.records, Stores.log, Stores.meta], 'readwrite', async (tx) => {
    const meta = tx.objectStore(Stores.meta);
    const state = (await requestResult(meta.get(MetaKey.writeState))) as WriteState | undefined;
    const plan = planLocalWrite({ changes, state, instanceId, now: conn.settings.now, baseVersion });
    const records = tx.objectStore(Stores.records);
    // Not awaited one by one: the requests queue in order and the transaction's
    // completion (or abort) covers them all.
    for (const record of plan.records) records.put(toRecordRow(record));
    tx.objectStore(Stores.log).put(plan.entry);
    meta.put(plan.state, MetaKey.writeState);
    return plan.logged;
  });
}

/**
 * Drops every change up to `ackedSeq` from the log (splitting the entry that straddles
 * it), with the tombstones of its deletes (see `acked-tombstones.ts`), and moves the
 * push cursor of `peer`, never backwards, in one transaction.
 */
export function acknowledgeLog(conn: IdbConnection, peer: string, ackedSeq: number, instanceId?: InstanceId): Promise<void> {
  // Relaxed: if power loss drops this commit the batch is simply pushed again and the
  // server, which keeps the highest seq it applied per source, recognises it.
  return conn.run('acknowledge', [Stores.records, Stores.log, Stores.cursors, Stores.meta], 'readwrite', async (tx) => {
    const log = tx.objectStore(Stores.log);
    const cursors = tx.objectStore(Stores.cursors);
    const records = tx.objectStore(Stores.records);
    const upTo = conn.settings.keyRange.upperBound(ackedSeq);
    const [previous, acked, current] = await Promise.all([
      requestResult(cursors.get(cursorKey.push(peer))) as Promise<number | undefined>,
      requestResult(log.getAll(upTo)) as Promise<LogEntry[]>,
      requestResult(tx.objectStore(Stores.meta).get(MetaKey.instanceId)),
    ]);
    // An answer to a push under a retired id: its seqs are not those of the renumbered log.
    if (instanceId !== undefined && current !== instanceId) return;
    log.delete(upTo);
    const straddling = acked[acked.length - 1];
    if (straddling !== undefined && lastSeqOf(straddling) > ackedSeq) {
      const rest = trimEntry(straddling, ackedSeq);
      if (rest !== undefined) log.put(rest);
    }
    if (ackedSeq > (previous ?? 0)) cursors.put(ackedSeq, cursorKey.push(peer));
    await Promise.all(
      ackedDeletes(acked, ackedSeq).map(async ({ collective, id, hlc }) => {
        const row = (await requestResult(records.get([collective, id]))) as RecordRow | undefined;
        if (row?.deleted === true && row.hlc === hlc) records.delete([collective, id]);
      }),
    );
  }, 'relaxed');
}
