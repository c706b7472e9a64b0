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
import { cursorKey, INITIAL_WRITE_STATE, MetaKey, Stores, toRecordRow, type LogEntry, type LoggedChange, type RecordRow, type WriteState } from './schema.ts';
import { planLocalWrite, type LocalWritePlan } from './write-plans.ts';

/**
 * The write state a connection expects its next local write to find: what its last
 * local write left. Undefined until the first write, and after any surprise.
 */
export interface WriteStateGuess {
  state: WriteState | undefined;
}

/**
 * One local write transaction: tick the clock once from the write state, number the
 * changes, put the records and ONE log entry, and save the write state. Records, log
 * entry and counters commit together or not at all. The entry is based on the pull
 * cursor unless `baseVersion` says otherwise.
 *
 * The state is read inside the transaction, since other tabs (and pulls) move it. Why
 * not wait for that read before the puts: in Chromium that wait is a round trip to the
 * browser process before the puts even leave, on every write. So the puts go at once,
 * planned from `guess`, and the read is checked before the transaction may commit:
 * when it holds anything else (another tab wrote, a pull moved the clock) the
 * transaction is aborted, nothing of it stays, and the write runs again planned from
 * the state read. Whatever commits is therefore the plan of the state the transaction
 * read, as if it had waited.
 */
export async function writeLocal(
  conn: IdbConnection,
  guess: WriteStateGuess,
  what: string,
  instanceId: InstanceId,
  changes: readonly LoggedChange[],
  baseVersion?: number,
): Promise<LocalWritePlan> {
  for (let trusted = guess.state; ; trusted = undefined) {
    let missed = false;
    try {
      return await conn.run(what, [Stores.records, Stores.log, Stores.meta], 'readwrite', async (tx) => {
        const meta = tx.objectStore(Stores.meta);
        // The read first: its answer, and the commit it lets go, overlap with the puts.
        const stored = requestResult(meta.get(MetaKey.writeState)).then((state) => (state as WriteState | undefined) ?? INITIAL_WRITE_STATE);
        stored.catch(() => undefined); // awaited below, unless a put throws first (the transaction aborted under it)
        // With field-level records their plan decides, given the records it meets (read
        // first: a patch merges into what it finds; see `field-seam.ts`).
        const fields = fieldsIn(conn.settings);
        const met = fields && (await fields.meet(conn, tx, changes));
        const plan = (fields?.planLocalWrite ?? planLocalWrite)({ changes, state: trusted ?? (await stored), instanceId, now: conn.settings.now, baseVersion, ...(fields && met) });
        // This connection's writes that start before this one commits plan from it
        // (read-write transactions over one store run in the order they were made).
        guess.state = plan.state;
        const records = tx.objectStore(Stores.records);
        // Not awaited one by one: the requests queue in order and the transaction's
        // completion (or abort) covers them all.
        for (const record of plan.records) records.put(toRecordRow(record));
        tx.objectStore(Stores.log).put(plan.entry);
        meta.put(plan.state, MetaKey.writeState);
        // JSON: states are {seq, hlc, basis} in that order, as planned (a row of another
        // shape only costs one more attempt).
        if (trusted && JSON.stringify(await stored) !== JSON.stringify(trusted)) {
          missed = true;
          throw new Error('the write state moved'); // runTransaction aborts the transaction
        }
        return plan;
      });
    } catch (error) {
      guess.state = undefined; // nothing to plan from: the next write reads
      if (!missed) throw error;
    }
  }
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
