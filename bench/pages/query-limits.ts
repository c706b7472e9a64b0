/**
 * The limits of the queries section: plain IndexedDB in the page (no wrapper, no
 * worker) over the rows the replica stores (`toRecordRow`, through rows.ts) with the
 * index the SDK makes for a declared path (`[collective, value.<path>, id]`, as
 * `valueIndex` shapes it), so the only difference from the SDK is the SDK.
 */
import { valueIndex } from '../../src/store/record-indexes.ts';
import type { RecordRow } from '../../src/store/schema.ts';
import { deleteDb, freshName, requestDone, txDone } from './plain-idb.ts';
import { localRow, rowsOf } from './rows.ts';

/** The collective (collection) every query row lives in. */
export const QUERY_COLLECTIVE = 'notes';

/** Seeded databases kept for paging, by name. */
const seeded = new Map<string, IDBDatabase>();

/** Opens (creating) a database with the replica's `records` key path and an index per value path. */
function openIndexed(name: string, paths: readonly string[]): Promise<IDBDatabase> {
  const request = indexedDB.open(name, 1);
  request.onupgradeneeded = () => {
    const records = request.result.createObjectStore('records', { keyPath: ['collective', 'id'] });
    for (const path of paths) {
      const index = valueIndex([path]);
      records.createIndex(index.name, [...index.keyPath]);
    }
  };
  return requestDone(request);
}

/** Rows `from … from+count-1` as the replica stores local writes to the query collective. */
const queryRows = (from: number, count: number, bytes: number): RecordRow[] => rowsOf(localRow, from, count, bytes, QUERY_COLLECTIVE);

/** Puts `rows` in one read-write transaction (default durability), resolved on commit. */
function putInOneTx(db: IDBDatabase, rows: readonly RecordRow[]): Promise<void> {
  const tx = db.transaction('records', 'readwrite');
  const store = tx.objectStore('records');
  for (const row of rows) store.put(row);
  return txDone(tx);
}

/** Seeds a database of `count` rows indexed by `n`, kept for {@link limitQueryPages}. */
export async function limitQuerySeed(options: { name: string; count: number; bytes: number }): Promise<void> {
  const db = await openIndexed(options.name, ['n']);
  seeded.set(options.name, db);
  for (let from = 0; from < options.count; from += 10_000) await putInOneTx(db, queryRows(from, Math.min(10_000, options.count - from), options.bytes));
}

/**
 * Reads `pages` pages of `size` by the `n` index from `fromN` on, each page a
 * `getAll(range, size)` in a transaction of its own, resuming after the last key read
 * (the index key is unique: it ends with the id). Milliseconds of each page.
 */
export async function limitQueryPages(options: { name: string; pages: number; size: number; fromN: number }): Promise<number[]> {
  const db = seeded.get(options.name);
  if (db === undefined) throw new Error(`no seeded query database ${options.name}`);
  const index = valueIndex(['n']);
  const upper = [QUERY_COLLECTIVE, []];
  let range = IDBKeyRange.bound([QUERY_COLLECTIVE, options.fromN], upper);
  const ms: number[] = [];
  for (let p = 0; p < options.pages; p++) {
    const start = performance.now();
    const request = db.transaction('records', 'readonly').objectStore('records').index(index.name).getAll(range, options.size);
    const rows = (await requestDone(request)) as { id: string; value: { n: number } }[];
    ms.push(performance.now() - start);
    const last = rows[rows.length - 1];
    if (rows.length !== options.size || last === undefined) throw new Error(`plain IndexedDB page ${p} has ${rows.length} rows`);
    range = IDBKeyRange.bound([QUERY_COLLECTIVE, last.value.n, last.id], upper, true);
  }
  return ms;
}

/** Closes and deletes a seeded database. */
export async function limitQueryDrop(options: { name: string }): Promise<void> {
  seeded.get(options.name)?.close();
  seeded.delete(options.name);
  await deleteDb(options.name);
}

/** `count` rows in one read-write transaction into a fresh database with an index on each of `paths`; ms. */
export async function limitPutManyIndexed(options: { count: number; bytes: number; paths: readonly string[] }): Promise<number> {
  const name = freshName('limit-indexed');
  const db = await openIndexed(name, options.paths);
  const rows = queryRows(0, options.count, options.bytes);
  const start = performance.now();
  await putInOneTx(db, rows);
  const ms = performance.now() - start;
  db.close();
  await deleteDb(name);
  return ms;
}
