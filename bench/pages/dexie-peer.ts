/**
 * Peer: Dexie 4, the most used IndexedDB wrapper, storing the same rows as the limits
 * (same key path, same durability as the compared case, set with Dexie's own
 * `chromeTransactionDurability`), with Dexie's defaults otherwise.
 */
import Dexie, { type Table } from 'dexie';
import { deleteDb, freshName } from './plain-idb.ts';
import { localRow, pulledRow, rowsOf, timedBatches } from './rows.ts';
import type { LimitWrite } from './idb-limits.ts';
import type { RecordRow } from '../../src/store/schema.ts';

interface Tables {
  db: Dexie;
  records: Table<RecordRow, [string, string]>;
  cursors: Table<number, string>;
}

const kept = new Map<string, Tables>();

async function open(name: string, durability: IDBTransactionDurability): Promise<Tables> {
  const db = new Dexie(name, { chromeTransactionDurability: durability });
  db.version(1).stores({ records: '[collective+id]', cursors: '' });
  await db.open();
  return { db, records: db.table('records'), cursors: db.table('cursors') };
}

async function drop(tables: Tables): Promise<void> {
  const name = tables.db.name;
  tables.db.close();
  await deleteDb(name);
}

/** `count` local rows with one `bulkPut`; ms. */
export async function dexieBulkPut(options: LimitWrite): Promise<number> {
  const t = await open(freshName('dexie-bulk'), options.durability);
  const rows = rowsOf(localRow, 0, options.count, options.bytes, 'notes');
  const start = performance.now();
  await t.records.bulkPut(rows);
  const ms = performance.now() - start;
  await drop(t);
  return ms;
}

/** `count` awaited `put`s (one transaction each, as Dexie does for a lone call); ms. */
export async function dexiePutOne(options: LimitWrite): Promise<number> {
  const t = await open(freshName('dexie-one'), options.durability);
  const rows = rowsOf(localRow, 0, options.count, options.bytes, 'notes');
  const start = performance.now();
  for (const row of rows) await t.records.put(row);
  const ms = performance.now() - start;
  await drop(t);
  return ms;
}

/** Pulled rows in transactions of `batch` (`bulkPut` + cursor); ms of the transactions; kept for reading. */
export async function dexieBatches(options: LimitWrite & { batch: number; collective: string }): Promise<{ ms: number; name: string }> {
  const name = freshName('dexie-batches');
  const t = await open(name, options.durability);
  kept.set(name, t);
  const ms = await timedBatches(
    options.count,
    options.batch,
    (from, size) => rowsOf(pulledRow, from, size, options.bytes, options.collective),
    (rows, _from, to) =>
      t.db.transaction('rw', t.records, t.cursors, async () => {
        await t.records.bulkPut(rows);
        await t.cursors.put(to, 'pull:bench');
      }),
  );
  return { ms, name };
}

/** Reads a collective of a kept database (`where(…).between(…).toArray()`); ms and count. */
export async function dexieReadAll(options: { name: string; collective: string }): Promise<{ ms: number; count: number }> {
  const t = kept.get(options.name);
  if (t === undefined) throw new Error(`no kept Dexie database ${options.name}`);
  const start = performance.now();
  const rows = await t.records.where('[collective+id]').between([options.collective, Dexie.minKey], [options.collective, Dexie.maxKey]).toArray();
  return { ms: performance.now() - start, count: rows.length };
}

/** Closes and deletes a kept database. */
export async function dexieDrop(options: { name: string }): Promise<void> {
  const t = kept.get(options.name);
  kept.delete(options.name);
  if (t !== undefined) await drop(t);
  else await deleteDb(options.name);
}
