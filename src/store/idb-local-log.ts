/**
 * The IndexedDB replica's own writes and their change log: a local write (records, ONE
 * log entry and the write state in one transaction) and the acknowledgement that
 * trims the log and moves the push cursor.
 */
import type { InstanceId } from '../protocol/types.ts';
import { ackedDeletes } from './acked-tombstones.ts';
import { lastSeqOf, trimEntry } from './change-log.ts';
import { fieldsIn } from './field-seam.ts';
import type { IdbConnection } from './idb-connection.ts';
import { requestResult } from './idb-transaction.ts';
import { cursorKey, MetaKey, Stores, toRecordRow, type LogEntry, type LoggedChange, type RecordRow, type WriteState } from './schema.ts';
import { planLocalWrite, type LocalWritePlan } from './write-plans.ts';

/**
 * One local write transaction: read the write state inside it (other tabs write too),
 * tick the clock once, number the changes, put the records and ONE log entry, and save
 * the write state. Records, log entry and counters commit together or not at all.
 * The entry is based on the pull cursor unless `baseVersion` says otherwise. With
 * field-level records their plan decides, given what it meets (`field-seam.ts`).
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
    const read = requestResult(meta.get(MetaKey.writeState)) as Promise<WriteState | undefined>;
    const fields = fieldsIn(conn.settings);
    const met = await fields?.meet(conn, tx, changes);
    const plan = (fields?.planLocalWrite ?? planLocalWrite)({ changes, state: await read, instanceId, now: conn.settings.now, baseVersion, ...met });
    const records = tx.objectStore(Stores.records);
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
 * it), with the tombstones of its deletes (see `acked-tombstones.ts`), and moves the
 * push cursor of `peer`, never backwards, in one transaction.
 */
export function acknowledgeLog(conn: IdbConnection, peer: string, ackedSeq: number): Promise<void> {
  // Relaxed: if power loss drops this commit the batch is simply pushed again and the
  // server, which keeps the highest seq it applied per source, recognises it.
  return conn.run('acknowledge', [Stores.records, Stores.log, Stores.cursors], 'readwrite', async (tx) => {
    const log = tx.objectStore(Stores.log);
    const cursors = tx.objectStore(Stores.cursors);
    const records = tx.objectStore(Stores.records);
    const upTo = conn.settings.keyRange.upperBound(ackedSeq);
    const [previous, acked] = await Promise.all([
      requestResult(cursors.get(cursorKey.push(peer))) as Promise<number | undefined>,
      requestResult(log.getAll(upTo)) as Promise<LogEntry[]>,
    ]);
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
