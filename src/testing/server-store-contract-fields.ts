/**
 * The part of the `ServerStore` contract about field-level records
 * (`field-last-write-wins`): a store keeps a row's stamps exactly as written, serves
 * them with the row, drops them when the record is written whole again, and counts them
 * in a page's bytes. The rules that make the stamps live in the server; a store only
 * keeps them.
 */
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../clock/hlc.ts';
import { SEVERAL_WRITERS } from '../protocol/field-merge.ts';
import type { FieldStamp } from '../protocol/types.ts';
import { feedRowBytes, fieldsJsonBytes, utf8Bytes } from '../server/stores/change-page.ts';
import { recordKey, type ServerRecordWrite } from '../server/types.ts';
import { put, readAll, SOURCE_A, SOURCE_B, tombstone, withFixture, write, type StoreFixture } from './server-store-fixture.ts';

const at = (wallMs: number, source: string) => ({ hlc: formatHlc({ wallMs, counter: 0, node: source.slice(-4) }), source });

/** Stamps of every shape: a whole write with its version, nested and odd keys, a deleted path, a write that overruled another. */
const STAMPS: readonly FieldStamp[] = [
  { path: [], ...at(1, SOURCE_A), version: 3 },
  { path: ['__proto__', 'x'], ...at(2, SOURCE_B), version: 4 },
  { path: ['a.b', 'ü ✓ "q"'], ...at(3, SOURCE_A), version: 5 },
  { path: ['gone'], ...at(4, SOURCE_B), deleted: true },
  { path: ['title'], ...at(5, SOURCE_B), over: [at(4, SOURCE_A)] },
];

/** A field-level row by several writers. */
function fieldRow(id: string, fields: readonly FieldStamp[] = STAMPS): ServerRecordWrite {
  const value = JSON.parse('{"__proto__":{"x":1},"a.b":{"ü ✓ \\"q\\"":[1,{"n":null}]},"title":"t"}') as ServerRecordWrite['value'];
  return { collective: 'notes', id, op: 'put', value: value ?? null, ...at(9, SOURCE_B), source: SEVERAL_WRITERS, fields };
}

/** Runs the field-level tests on the fixtures `open()` makes. */
export function runFieldStoreContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`field-level records: ${name}`, () => {
    const withStore = (test: (fixture: StoreFixture) => Promise<void>): Promise<void> => withFixture(open, test);

    it('keeps a row’s stamps exactly as written, and serves them with the row, in the feed and to a push', () =>
      withStore(async ({ store }) => {
        const [written] = await write(store, fieldRow('f'));
        const [fed] = await readAll(store);
        expect(fed).toEqual({ ...fieldRow('f'), version: written?.version });
        expect(JSON.stringify(fed?.value)).toBe(JSON.stringify(fieldRow('f').value));
        const held = await store.transaction((tx) => tx.getRecords([{ collective: 'notes', id: 'f' }]));
        expect(held.get(recordKey('notes', 'f'))).toEqual(fed);
      }));

    it('keeps the stamps of a deleted field-level record, and rows written whole have none', () =>
      withStore(async ({ store }) => {
        const deleted: ServerRecordWrite = { ...tombstone('notes', 'd'), fields: [{ path: [], ...at(7, SOURCE_A), deleted: true }] };
        await write(store, deleted, put('notes', 'w', 1));
        const rows = new Map((await readAll(store)).map((row) => [row.id, row]));
        expect(rows.get('d')).toMatchObject({ op: 'delete', fields: deleted.fields });
        expect(rows.get('d')).not.toHaveProperty('value');
        expect(rows.get('w')).not.toHaveProperty('fields');
      }));

    it('drops the stamps when the record is written whole again', () =>
      withStore(async ({ store }) => {
        await write(store, fieldRow('f'));
        await write(store, put('notes', 'f', 'whole'));
        const [row] = await readAll(store);
        expect(row).toMatchObject({ value: 'whole', source: SOURCE_A });
        expect(row).not.toHaveProperty('fields');
      }));

    it('serves a row of several writers to each of them: echo prevention leaves out only one writer’s rows', () =>
      withStore(async ({ store }) => {
        await write(store, fieldRow('mixed'), put('notes', 'mine', 1, SOURCE_A));
        const page = await store.readChanges({ after: 0, limit: 10, excludeSource: SOURCE_A });
        expect(page.rows.map((row) => row.id)).toEqual(['mixed']);
      }));

    it('counts the stamps in a page’s bytes', () =>
      withStore(async ({ store }) => {
        await write(store, fieldRow('f1'), fieldRow('f2'));
        const [first] = await readAll(store);
        const row = first as NonNullable<typeof first>;
        const bytes = feedRowBytes(row, utf8Bytes(JSON.stringify(row.value)) + fieldsJsonBytes(row.fields));
        // Room for the first row and all of the second but its stamps: one row.
        const page = await store.readChanges({ after: 0, limit: 10, maxBytes: 2 * bytes - fieldsJsonBytes(row.fields) });
        expect(page.rows.map((r) => r.id)).toEqual(['f1']);
        expect(page.hasMore).toBe(true);
        expect((await store.readChanges({ after: 0, limit: 10, maxBytes: 2 * bytes })).rows).toHaveLength(2);
      }));

    it('keeps the stamps across a reopen', () =>
      withStore(async ({ store, reopen }) => {
        if (reopen === undefined) return;
        await write(store, fieldRow('f'));
        const again = await reopen();
        expect((await readAll(again))[0]?.fields).toEqual(STAMPS);
      }));
  });
}
