/**
 * Reading a planned query over a `records` store (fake IndexedDB): pages whose records
 * the filter or the app-data version leaves out read on, batch after batch, and the next
 * page starts right after the last record given.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { planQuery } from '../../src/query/plan.ts';
import { countRecords, readPage } from '../../src/query/run-query.ts';
import type { QuerySpec } from '../../src/query/types.ts';
import type { RecordKeys } from '../../src/store/read-transaction.ts';
import { LIVE_INDEX, valueIndex } from '../../src/store/record-indexes.ts';

const byN = valueIndex(['n']);

/** A records store holding `count` notes: value { n: i, kept: i % every === 0 }, some of a newer app-data version. */
async function notes(count: number, every: number, newerEvery = 0): Promise<{ db: IDBDatabase; keys: RecordKeys }> {
  const factory = new IDBFactory();
  const request = factory.open('run-query', 1);
  request.onupgradeneeded = () => {
    const records = request.result.createObjectStore('records', { keyPath: ['collective', 'id'] });
    for (const index of [LIVE_INDEX, byN]) records.createIndex(index.name, [...index.keyPath]);
    for (let i = 0; i < count; i++) {
      const newer = newerEvery > 0 && i % newerEvery === 1;
      const value = { n: i, kept: i % every === 0, ...(newer ? { $v: 2 } : {}) };
      records.put({ collective: 'notes', id: `r${String(i).padStart(5, '0')}`, value, deleted: false, live: 1 });
    }
  };
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return { db, keys: { range: IDBKeyRange, cmp: (a, b) => factory.cmp(a, b) } };
}

/** One query page, in a read-only transaction of its own; the n of each record and the next cursor. */
async function page(store: { db: IDBDatabase; keys: RecordKeys }, query: QuerySpec, maxVersion = 1): Promise<{ ns: number[]; next: unknown[] | undefined }> {
  const records = store.db.transaction('records', 'readonly').objectStore('records');
  const plan = planQuery('notes', [byN], query);
  const result = await readPage(records, store.keys, plan, {
    maxVersion,
    ...(query.limit === undefined ? {} : { limit: query.limit }),
    ...(query.after === undefined ? {} : { after: query.after }),
  });
  return { ns: result.records.map((r) => (r.value as { n: number }).n), next: result.next };
}

describe('reading a planned query', () => {
  it('a page the filter thins out reads on past many empty batches, and the next page resumes right after it', async () => {
    // 1 record in 700 passes: a page of 3 needs reads well past the first batches.
    const store = await notes(3_000, 700);
    const first = await page(store, { where: { kept: true }, orderBy: 'n', limit: 3 });
    expect(first.ns).toEqual([0, 700, 1400]);
    const rest = await page(store, { where: { kept: true }, orderBy: 'n', limit: 3, after: first.next as never });
    expect(rest.ns).toEqual([2100, 2800]);
    expect(rest.next).toBeUndefined();
  });

  it('leaves out values of a newer app-data version and still fills the page', async () => {
    const store = await notes(200, 1, 2);
    const first = await page(store, { where: { n: { gte: 10 } }, orderBy: 'n', limit: 5 });
    expect(first.ns).toEqual([10, 12, 14, 16, 18]);
    const second = await page(store, { where: { n: { gte: 10 } }, orderBy: 'n', limit: 5, after: first.next as never });
    expect(second.ns).toEqual([20, 22, 24, 26, 28]);
  });

  it('reads a whole filtered collection, and counts it, past the largest batch, each record once', async () => {
    const store = await notes(2_500, 1);
    const all = await page(store, { where: { kept: true } });
    expect(all.ns).toEqual(Array.from({ length: 2_500 }, (_, i) => i));
    const records = store.db.transaction('records', 'readonly').objectStore('records');
    expect(await countRecords(records, store.keys, planQuery('notes', [byN], { where: { kept: true } }))).toBe(2_500);
  });

  it('reads backwards with the same filter', async () => {
    const store = await notes(100, 10);
    const newest = await page(store, { where: { kept: true }, orderBy: 'n', reverse: true, limit: 3 });
    expect(newest.ns).toEqual([90, 80, 70]);
    const older = await page(store, { where: { kept: true }, orderBy: 'n', reverse: true, limit: 3, after: newest.next as never });
    expect(older.ns).toEqual([60, 50, 40]);
  });
});
