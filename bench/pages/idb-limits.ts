/**
 * The limits: plain IndexedDB (no wrapper, no promise per request) writing and reading
 * the rows the replica stores, with the batching and the durability of the SDK case
 * each is compared with. What no library on top of IndexedDB can beat in this browser.
 */
import { longTaskWatch, longTaskWatchEnd } from './long-tasks.ts';
import { collectiveRange, deleteDb, freshName, openRecordsDb, requestDone, txDone } from './plain-idb.ts';
import { localRow, pulledRow, rowsOf, timedBatches } from './rows.ts';

/** What every write limit takes. */
export interface LimitWrite {
  readonly count: number;
  readonly bytes: number;
  readonly durability: IDBTransactionDurability;
}

/** Databases kept after a write for a later read, by name. */
const kept = new Map<string, IDBDatabase>();

/** `count` local rows, all in one read-write transaction; ms. */
export async function limitPutOneTx(options: LimitWrite): Promise<number> {
  const name = freshName('limit-onetx');
  const db = await openRecordsDb(name);
  const rows = rowsOf(localRow, 0, options.count, options.bytes, 'notes');
  const start = performance.now();
  const tx = db.transaction(['records'], 'readwrite', { durability: options.durability });
  const store = tx.objectStore('records');
  for (const row of rows) store.put(row);
  await txDone(tx);
  const ms = performance.now() - start;
  db.close();
  await deleteDb(name);
  return ms;
}

/** `count` local rows, one read-write transaction each, each awaited before the next; ms. */
export async function limitPutOnePerTx(options: LimitWrite): Promise<number> {
  const name = freshName('limit-pertx');
  const db = await openRecordsDb(name);
  const rows = rowsOf(localRow, 0, options.count, options.bytes, 'notes');
  const start = performance.now();
  for (const row of rows) {
    const tx = db.transaction(['records'], 'readwrite', { durability: options.durability });
    tx.objectStore('records').put(row);
    await txDone(tx);
  }
  const ms = performance.now() - start;
  db.close();
  await deleteDb(name);
  return ms;
}

/**
 * `count` pulled rows in transactions of `batch`, each with its cursor put (as a pulled
 * batch commits with its cursor); ms of the transactions alone. The database is kept
 * (for {@link limitReadAll}) until {@link limitDrop}.
 */
export async function limitPutBatches(options: LimitWrite & { batch: number; collective: string }): Promise<{ ms: number; name: string }> {
  const name = freshName('limit-batches');
  const db = await openRecordsDb(name);
  kept.set(name, db);
  const ms = await timedBatches(
    options.count,
    options.batch,
    (from, size) => rowsOf(pulledRow, from, size, options.bytes, options.collective),
    async (rows, _from, to) => {
      const tx = db.transaction(['records', 'cursors'], 'readwrite', { durability: options.durability });
      const store = tx.objectStore('records');
      for (const row of rows) store.put(row);
      tx.objectStore('cursors').put(to, 'pull:bench');
      await txDone(tx);
    },
  );
  return { ms, name };
}

/** Reads a whole collective of a kept database with one `getAll` over its key range; ms, count and the longest main-thread task. */
export async function limitReadAll(options: { name: string; collective: string }): Promise<{ ms: number; count: number; longestTaskMs: number }> {
  const db = kept.get(options.name);
  if (db === undefined) throw new Error(`no kept limit database ${options.name}`);
  longTaskWatch('limit-read', 'start');
  const start = performance.now();
  const tx = db.transaction(['records'], 'readonly');
  const rows = await requestDone(tx.objectStore('records').getAll(collectiveRange(options.collective)));
  const ms = performance.now() - start;
  const tasks = await longTaskWatchEnd('limit-read');
  return { ms, count: rows.length, longestTaskMs: tasks.maxMs };
}

/** Closes and deletes a kept database. */
export async function limitDrop(options: { name: string }): Promise<void> {
  kept.get(options.name)?.close();
  kept.delete(options.name);
  await deleteDb(options.name);
}
