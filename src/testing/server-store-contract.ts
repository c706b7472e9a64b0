/**
 * The `ServerStore` contract: one suite, run on every store (memory, SQLite,
 * Postgres). A store passes it or is not a store. Stores shared by several instances
 * also run `shared-store-contract.ts`, which this suite includes.
 */
import { describe, expect, it } from 'vitest';
import { recordKey, type ServerStoreTransaction } from '../server/types.ts';
import { runFieldStoreContract } from './server-store-contract-fields.ts';
import { runAnswersStoreContract } from './server-store-contract-answers.ts';
import { runInstanceStoreContract } from './server-store-contract-instances.ts';
import { runMarksStoreContract } from './server-store-contract-marks.ts';
import { runTombstoneSweepContract } from './server-store-contract-gc.ts';
import { runSharedStoreContract } from './server-store-contract-shared.ts';
import { put, readAll, SOURCE_A, SOURCE_B, tick, eventually, tombstone, withFixture, write, type StoreFixture } from './server-store-fixture.ts';

export type { StoreFixture } from './server-store-fixture.ts';

/** Runs the contract on the stores `open()` makes (one fresh store per test). */
export function runServerStoreContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`ServerStore contract: ${name}`, () => {
    const withStore = (test: (fixture: StoreFixture) => Promise<void>): Promise<void> => withFixture(open, test);

    it('starts empty: version 0, no rows, no collectives', () =>
      withStore(async ({ store }) => {
        expect(await store.latestVersion()).toBe(0);
        expect(await store.readChanges({ after: 0, limit: 10, withTotal: true })).toEqual({ rows: [], hasMore: false, newCursor: 0, latest: 0, total: 0 });
        expect(await store.listCollectives()).toEqual([]);
        expect(await store.serverId()).toMatch(/\S/);
      }));

    it('gives every write a higher version than the one before, across transactions', () =>
      withStore(async ({ store }) => {
        const first = await write(store, put('notes', 'a', 1), put('notes', 'b', 2));
        const second = await write(store, put('todos', 'c', 3));
        const versions = [...first, ...second].map((row) => row.version);
        expect(versions[0]).toBeGreaterThan(0);
        for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1] as number);
        expect(await store.latestVersion()).toBe(versions[versions.length - 1]);
      }));

    it('keeps one row per record: the latest write, at its new version, in version order', () =>
      withStore(async ({ store }) => {
        await write(store, put('notes', 'a', 'first'), put('notes', 'b', 'b'));
        const [again] = await write(store, put('notes', 'a', 'second'));
        const rows = await readAll(store);
        expect(rows.map((row) => [row.id, row.value])).toEqual([['b', 'b'], ['a', 'second']]);
        expect(rows[1]?.version).toBe(again?.version);
      }));

    it('keeps the last of several writes to one record in one call', () =>
      withStore(async ({ store }) => {
        const written = await write(store, put('notes', 'a', 1), put('notes', 'a', 2), put('notes', 'a', 3));
        const rows = await readAll(store);
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ value: 3, version: written[2]?.version });
      }));

    it('stores values exactly, null values apart from deletes, tombstones without a value', () =>
      withStore(async ({ store }) => {
        const value = { text: 'héllo ✓ "quoted"', n: 1.5, list: [1, null, { deep: true }], empty: {} };
        await write(store, put('notes', 'v', value), put('notes', 'n', null), tombstone('notes', 'd'));
        const rows = new Map((await readAll(store)).map((row) => [row.id, row]));
        expect(rows.get('v')?.value).toEqual(value);
        expect(rows.get('n')).toMatchObject({ op: 'put', value: null });
        expect(rows.get('d')?.op).toBe('delete');
        expect(rows.get('d')).not.toHaveProperty('value');
        const current = await store.transaction((tx) => tx.getRecords([{ collective: 'notes', id: 'd' }, { collective: 'notes', id: 'missing' }]));
        expect([...current.keys()]).toEqual([recordKey('notes', 'd')]);
        expect(current.get(recordKey('notes', 'd'))).toMatchObject({ op: 'delete', source: SOURCE_A });
      }));

    it('pages the feed: limit, hasMore, newCursor at the last row, every row exactly once', () =>
      withStore(async ({ store }) => {
        for (let i = 0; i < 7; i++) await write(store, put('notes', `r${i}`, i));
        const first = await store.readChanges({ after: 0, limit: 3 });
        expect(first.rows.map((row) => row.id)).toEqual(['r0', 'r1', 'r2']);
        expect(first.hasMore).toBe(true);
        expect(first.newCursor).toBe(first.rows[2]?.version);
        expect((await readAll(store, 0, 3)).map((row) => row.id)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
        const last = await store.readChanges({ after: first.newCursor, limit: 100 });
        expect(last).toMatchObject({ hasMore: false, newCursor: await store.latestVersion() });
      }));

    it('says the latest version of the snapshot it read each page from, whether or not more rows follow', () =>
      withStore(async ({ store }) => {
        await write(store, put('notes', 'a', 1), put('notes', 'b', 2), put('todos', 'c', 3));
        const latest = await store.latestVersion();
        expect(await store.readChanges({ after: 0, limit: 1 })).toMatchObject({ hasMore: true, latest });
        expect(await store.readChanges({ after: 0, limit: 10, collectives: ['notes'] })).toMatchObject({ hasMore: false, latest });
        // A cursor past everything (another data set's) still learns where this one ends.
        expect(await store.readChanges({ after: latest + 5, limit: 10 })).toEqual({ rows: [], hasMore: false, newCursor: latest + 5, latest });
      }));

    it('filters by collectives; an empty list matches nothing but still moves the cursor to the latest version', () =>
      withStore(async ({ store }) => {
        await write(store, put('notes', 'a', 1), put('todos', 'b', 2), put('tags', 'c', 3));
        const some = await store.readChanges({ after: 0, limit: 10, collectives: ['notes', 'tags'] });
        expect(some.rows.map((row) => row.id)).toEqual(['a', 'c']);
        const none = await store.readChanges({ after: 0, limit: 10, collectives: [] });
        const latest = await store.latestVersion();
        expect(none).toEqual({ rows: [], hasMore: false, newCursor: latest, latest });
        expect((await store.listCollectives()).sort()).toEqual(['notes', 'tags', 'todos']);
      }));

    it("leaves out the puller's own rows and still moves its cursor past them", () =>
      withStore(async ({ store }) => {
        await write(store, put('notes', 'theirs', 1, SOURCE_B), put('notes', 'mine', 2, SOURCE_A));
        const page = await store.readChanges({ after: 0, limit: 10, excludeSource: SOURCE_A });
        expect(page.rows.map((row) => row.id)).toEqual(['theirs']);
        expect(page.newCursor).toBe(await store.latestVersion());
        // hasMore looks past excluded rows: a page ending on the last match has no more.
        const one = await store.readChanges({ after: 0, limit: 1, excludeSource: SOURCE_A });
        expect(one).toMatchObject({ hasMore: false, newCursor: await store.latestVersion() });
      }));

    it('counts total matching rows after the cursor, this page included, with every filter', () =>
      withStore(async ({ store }) => {
        await write(store, put('notes', 'a', 1, SOURCE_B), put('notes', 'b', 2, SOURCE_A), put('todos', 'c', 3, SOURCE_B), put('notes', 'd', 4, SOURCE_B));
        const page = await store.readChanges({ after: 0, limit: 1, collectives: ['notes'], excludeSource: SOURCE_A, withTotal: true });
        expect(page.rows.map((row) => row.id)).toEqual(['a']);
        expect(page.total).toBe(2);
        expect(page.hasMore).toBe(true);
        const rest = await store.readChanges({ after: page.newCursor, limit: 1, collectives: ['notes'], excludeSource: SOURCE_A, withTotal: true });
        expect(rest).toMatchObject({ total: 1, hasMore: false });
        expect(await store.readChanges({ after: 0, limit: 1 })).not.toHaveProperty('total');
      }));

    it('rolls a transaction back when it throws: no rows, no applied seq, no new version, no commit event', () =>
      withStore(async ({ store }) => {
        await write(store, put('notes', 'kept', 1));
        const before = await store.latestVersion();
        let commits = 0;
        const off = store.onCommit(() => commits++);
        const failure = await store
          .transaction(async (tx) => {
            await tx.writeRecords([put('notes', 'lost', 2), put('notes', 'kept', 'changed')]);
            await tx.setAppliedSeq(SOURCE_A, 9);
            throw new Error('boom');
          })
          .catch((error: unknown) => error);
        expect((failure as Error).message).toBe('boom');
        expect((await readAll(store)).map((row) => [row.id, row.value])).toEqual([['kept', 1]]);
        expect(await store.latestVersion()).toBe(before);
        expect(await store.transaction((tx) => tx.getAppliedSeq(SOURCE_A))).toBe(0);
        // The next write still gets the next version.
        const [next] = await write(store, put('notes', 'after', 3));
        expect(next?.version).toBeGreaterThan(before);
        await tick();
        expect(commits).toBe(1);
        off();
      }));

    it('keeps the applied seq per source with the writes, and a transaction sees its own writes', () =>
      withStore(async ({ store }) => {
        expect(await store.transaction((tx) => tx.getAppliedSeq(SOURCE_A))).toBe(0);
        await store.transaction(async (tx) => {
          await tx.writeRecords([put('notes', 'a', 1)]);
          await tx.setAppliedSeq(SOURCE_A, 5);
          expect(await tx.getAppliedSeq(SOURCE_A)).toBe(5);
          expect((await tx.getRecords([{ collective: 'notes', id: 'a' }])).get(recordKey('notes', 'a'))?.value).toBe(1);
        });
        await store.transaction((tx) => tx.setAppliedSeq(SOURCE_A, 7));
        expect(await store.transaction((tx) => tx.getAppliedSeq(SOURCE_A))).toBe(7);
        expect(await store.transaction((tx) => tx.getAppliedSeq(SOURCE_B))).toBe(0);
      }));

    it('refuses a transaction object used after its transaction ended, and writes nothing through it', () =>
      withStore(async ({ store }) => {
        let kept!: ServerStoreTransaction;
        await store.transaction(async (tx) => {
          kept = tx;
        });
        await expect(kept.writeRecords([put('notes', 'late', 1)])).rejects.toMatchObject({ code: 'INTERNAL' });
        await expect(kept.setAppliedSeq(SOURCE_A, 1)).rejects.toMatchObject({ code: 'INTERNAL' });
        expect(await store.latestVersion()).toBe(0);
        expect(await store.transaction((tx) => tx.getAppliedSeq(SOURCE_A))).toBe(0);
      }));

    it('runs transactions one after another: concurrent read-modify-writes lose nothing', () =>
      withStore(async ({ store }) => {
        await Promise.all(
          Array.from({ length: 8 }, () =>
            store.transaction(async (tx) => {
              const seq = await tx.getAppliedSeq(SOURCE_A);
              await tick();
              await tx.setAppliedSeq(SOURCE_A, seq + 1);
            }),
          ),
        );
        expect(await store.transaction((tx) => tx.getAppliedSeq(SOURCE_A))).toBe(8);
      }));

    it('calls onCommit after a transaction that wrote rows, not after one that did not; unsubscribe stops it', () =>
      withStore(async ({ store }) => {
        let commits = 0;
        const off = store.onCommit(() => commits++);
        await store.transaction((tx) => tx.getAppliedSeq(SOURCE_A));
        await write(store, put('notes', 'a', 1));
        await eventually(() => commits === 1, 'a commit event');
        off();
        await write(store, put('notes', 'b', 2));
        await tick();
        expect(commits).toBe(1);
      }));

    it('does not let a reader see a transaction before it commits', () =>
      withStore(async ({ store }) => {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let written!: () => void;
        const wroteRows = new Promise<void>((resolve) => (written = resolve));
        const pending = store.transaction(async (tx) => {
          await tx.writeRecords([put('notes', 'a', 1)]);
          written();
          await gate;
        });
        await wroteRows;
        expect(await store.readChanges({ after: 0, limit: 10 })).toMatchObject({ rows: [], newCursor: 0, latest: 0 });
        expect(await store.latestVersion()).toBe(0);
        release();
        await pending;
        expect((await readAll(store)).map((row) => row.id)).toEqual(['a']);
      }));

    it('keeps its server id and its data across a reopen', () =>
      withStore(async (fixture) => {
        if (fixture.reopen === undefined) return; // not persistent: nothing to keep
        const { store } = fixture;
        const id = await store.serverId();
        await store.transaction(async (tx) => {
          await tx.writeRecords([put('notes', 'a', 1)]);
          await tx.setAppliedSeq(SOURCE_A, 3);
        });
        const latest = await store.latestVersion();
        const reopened = await fixture.reopen();
        expect(await reopened.serverId()).toBe(id);
        expect(await reopened.latestVersion()).toBe(latest);
        expect(await reopened.transaction((tx) => tx.getAppliedSeq(SOURCE_A))).toBe(3);
        expect((await readAll(reopened)).map((row) => row.value)).toEqual([1]);
      }));

    it('fails SHUTDOWN after close, and close twice is fine', () =>
      withStore(async ({ store }) => {
        await store.close();
        await store.close();
        await expect(store.latestVersion()).rejects.toMatchObject({ code: 'SHUTDOWN' });
        await expect(store.transaction(async () => undefined)).rejects.toMatchObject({ code: 'SHUTDOWN' });
      }));
  });
  runInstanceStoreContract(name, open);
  runFieldStoreContract(name, open);
  runMarksStoreContract(name, open);
  runAnswersStoreContract(name, open);
  runTombstoneSweepContract(name, open);
  runSharedStoreContract(name, open);
}
