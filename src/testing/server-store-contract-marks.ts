/**
 * The part of the `ServerStore` contract about a record's marks (`ServerRecordWrite.over`:
 * the writes its whole-record writes overruled unseen, `server/overruled-writes.ts`): a
 * store keeps them exactly as written, serves them with the row in the feed and to a
 * push, drops them when the record is written without, counts them in a page's bytes,
 * and keeps them across a reopen. The rules that make the marks live in the server.
 */
import { describe, expect, it } from 'vitest';
import { feedRowBytes, overJsonBytes, utf8Bytes } from '../server/stores/change-page.ts';
import { recordKey, type ServerRecordWrite } from '../server/types.ts';
import { put, readAll, SOURCE_A, SOURCE_B, tombstone, withFixture, write, type StoreFixture } from './server-store-fixture.ts';

/** A put by B that overruled A's write, and a tombstone by B that overruled two. */
function marked(id: string, over = [put('x', 'y', 0, SOURCE_A)], row = put('notes', id, { by: 'b' }, SOURCE_B)): ServerRecordWrite {
  return { ...row, over: over.map(({ hlc, source }) => ({ hlc, source })) };
}

/** Runs the marks' tests on the fixtures `open()` makes. */
export function runMarksStoreContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`overruled-write marks: ${name}`, () => {
    const withStore = (test: (fixture: StoreFixture) => Promise<void>): Promise<void> => withFixture(open, test);

    it('keeps a row’s marks exactly as written, and serves them with the row, in the feed and to a push', () =>
      withStore(async ({ store }) => {
        const row = marked('m');
        const gone = marked('d', [put('x', 'y', 0, SOURCE_A), put('x', 'z', 0, '0190f5e1-0000-7000-8000-00000000000c')], tombstone('notes', 'd', SOURCE_B));
        const written = await write(store, row, gone, put('notes', 'plain', 1));
        const rows = await readAll(store);
        expect(rows).toEqual([
          { ...row, version: written[0]?.version },
          { ...gone, version: written[1]?.version },
          { ...put('notes', 'plain', 1), hlc: rows[2]?.hlc, version: written[2]?.version },
        ]);
        expect(rows[2]).not.toHaveProperty('over');
        const held = await store.transaction((tx) => tx.getRecords([{ collective: 'notes', id: 'm' }]));
        expect(held.get(recordKey('notes', 'm'))).toEqual(rows[0]);
      }));

    it('drops the marks when the record is written without', () =>
      withStore(async ({ store }) => {
        await write(store, marked('m'));
        await write(store, put('notes', 'm', 'again'));
        const [row] = await readAll(store);
        expect(row).toMatchObject({ value: 'again', source: SOURCE_A });
        expect(row).not.toHaveProperty('over');
      }));

    it('counts the marks in a page’s bytes', () =>
      withStore(async ({ store }) => {
        await write(store, marked('m1'), marked('m2'));
        const [first] = await readAll(store);
        const row = first as NonNullable<typeof first>;
        const bytes = feedRowBytes(row, utf8Bytes(JSON.stringify(row.value)) + overJsonBytes(row.over));
        // Room for the first row and all of the second but its marks: one row.
        const page = await store.readChanges({ after: 0, limit: 10, maxBytes: 2 * bytes - overJsonBytes(row.over) });
        expect(page.rows.map((r) => r.id)).toEqual(['m1']);
        expect(page.hasMore).toBe(true);
        expect((await store.readChanges({ after: 0, limit: 10, maxBytes: 2 * bytes })).rows).toHaveLength(2);
      }));

    it('keeps the marks across a reopen', () =>
      withStore(async ({ store, reopen }) => {
        if (reopen === undefined) return;
        const row = marked('m');
        await write(store, row);
        const again = await reopen();
        expect((await readAll(again))[0]?.over).toEqual(row.over);
      }));
  });
}
