/**
 * The part of the `ServerStore` contract about sweeping tombstones (`sweepTombstones`,
 * see `stores/tombstone-sweep.ts`): which tombstones go and when, the gc floors, bounded
 * batches, and what a reopen keeps. A store without `sweepTombstones` keeps its
 * tombstones and passes these vacuously.
 */
import { describe, expect, it } from 'vitest';
import type { ServerStore, SweepResult, TombstoneSweep } from '../server/types.ts';
import { put, readAll, tombstone, withFixture, write, type StoreFixture } from './server-store-fixture.ts';

const HOUR = 60 * 60 * 1000;
const T0 = 1_800_000_000_000;

/** One sweep of `store` at server time `now`. */
function sweep(store: ServerStore, now: number, horizonMs = HOUR, maxRows = 1000): Promise<SweepResult> {
  const run = store.sweepTombstones as (sweep: TombstoneSweep) => Promise<SweepResult>;
  return run.call(store, { now, horizonMs, maxRows });
}

/** Sweeps until done; the results of each transaction. */
async function sweepAll(store: ServerStore, now: number, horizonMs = HOUR, maxRows = 1000): Promise<SweepResult[]> {
  const results: SweepResult[] = [];
  for (let i = 0; i < 10_000; i++) {
    const result = await sweep(store, now, horizonMs, maxRows);
    results.push(result);
    if (result.done) return results;
  }
  throw new Error('sweepAll: never done');
}

const ids = async (store: ServerStore, collectives?: string[]): Promise<string[]> =>
  (await readAll(store)).filter((row) => collectives === undefined || collectives.includes(row.collective)).map((row) => `${row.collective}/${row.id}`);

/** Runs the tombstone-sweep tests on the fixtures `open()` makes. */
export function runTombstoneSweepContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`tombstone sweep: ${name}`, () => {
    /** Runs `test` only on stores that sweep. */
    const withSweeping = (test: (fixture: StoreFixture) => Promise<void>): Promise<void> =>
      withFixture(open, async (fixture) => {
        if (fixture.store.sweepTombstones !== undefined) await test(fixture);
      });

    it('removes a tombstone only once a sweep older than the horizon has seen it; puts stay; no version is handed out twice', () =>
      withSweeping(async ({ store }) => {
        await write(store, put('notes', 'kept', 1), put('notes', 'gone', 2));
        const [deleted] = await write(store, tombstone('notes', 'gone'));
        // The first sweep only marks where the store is: nothing is known to be old yet.
        expect(await sweep(store, T0)).toEqual({ removed: 0, scanned: 0, floor: 0, done: true });
        expect(await sweep(store, T0 + HOUR - 1)).toMatchObject({ removed: 0, floor: 0 });
        expect(await ids(store)).toEqual(['notes/kept', 'notes/gone']);
        expect(await sweep(store, T0 + HOUR)).toMatchObject({ removed: 1, floor: deleted?.version, done: true });
        expect(await ids(store)).toEqual(['notes/kept']);
        // The removed tombstone was the newest row: the latest version does not go back.
        expect(await store.latestVersion()).toBe(deleted?.version);
        const [again] = await write(store, put('notes', 'gone', 'back'));
        expect(again?.version).toBe((deleted?.version as number) + 1);
        expect((await store.transaction((tx) => tx.getRecords([{ collective: 'notes', id: 'gone' }]))).size).toBe(1);
      }));

    it('keeps a tombstone written after the mark in use until a later mark is old enough', () =>
      withSweeping(async ({ store }) => {
        await write(store, tombstone('notes', 'early'));
        await sweep(store, T0);
        await write(store, tombstone('notes', 'late'));
        expect(await sweep(store, T0 + HOUR)).toMatchObject({ removed: 1 });
        expect(await ids(store)).toEqual(['notes/late']);
        expect(await sweep(store, T0 + 2 * HOUR)).toMatchObject({ removed: 1 });
        expect(await ids(store)).toEqual([]);
      }));

    it('with a horizon of 0 removes every tombstone written before the sweep', () =>
      withSweeping(async ({ store }) => {
        await write(store, tombstone('notes', 'a'), put('notes', 'b', 1), tombstone('todos', 'c'));
        expect(await sweep(store, T0, 0)).toMatchObject({ removed: 2, done: true });
        expect(await ids(store)).toEqual(['notes/b']);
      }));

    it('keeps gc floors per collective: pages, latestVersionIn and listCollectives count the removed rows of their collectives only', () =>
      withSweeping(async ({ store }) => {
        const [a] = await write(store, tombstone('notes', 'a'));
        const [b] = await write(store, put('todos', 'b', 1));
        const [c] = await write(store, tombstone('gone', 'c'));
        const [d] = await write(store, put('notes', 'd', 2), put('todos', 'e', 3));
        const [f] = await write(store, tombstone('todos', 'f'));
        await write(store, put('tags', 'g', 4));
        const all = await store.latestVersion();
        await sweep(store, T0);
        // Written after the first sweep: it stays.
        const [g] = await write(store, tombstone('tags', 'g'));
        expect(await sweep(store, T0 + HOUR)).toMatchObject({ removed: 3, floor: f?.version });
        expect(await store.readChanges({ after: 0, limit: 10 })).toMatchObject({ gcFloor: f?.version });
        expect(await store.readChanges({ after: 0, limit: 10, collectives: ['notes'] })).toMatchObject({ gcFloor: a?.version });
        expect(await store.readChanges({ after: 0, limit: 10, collectives: ['notes', 'gone'] })).toMatchObject({ gcFloor: c?.version });
        expect(await store.readChanges({ after: 0, limit: 10, collectives: ['tags'] })).not.toHaveProperty('gcFloor');
        // 'gone' holds no row any more, yet its removed tombstone still counts and names it.
        expect(await store.latestVersionIn(['gone'])).toBe(c?.version);
        expect(await store.latestVersionIn(['todos'])).toBe(f?.version);
        expect(await store.latestVersionIn(['notes', 'gone'])).toBe(d?.version);
        expect(await store.latestVersionIn(['todos', 'tags'])).toBe(g?.version);
        expect((await store.listCollectives()).sort()).toEqual(['gone', 'notes', 'tags', 'todos']);
        expect(await store.latestVersion()).toBe(g?.version);
        expect(b?.version).toBeLessThan(all);
      }));

    it('looks at no more than maxRows rows per transaction, raising the floor batch by batch until done', () =>
      withSweeping(async ({ store }) => {
        for (let i = 0; i < 10; i++) await write(store, i % 3 === 0 ? put('notes', `p${i}`, i) : tombstone('notes', `t${i}`));
        await sweep(store, T0);
        const results = await sweepAll(store, T0 + HOUR, HOUR, 3);
        expect(results.map((result) => result.scanned)).toEqual([3, 3, 3, 1]);
        expect(results.map((result) => result.done)).toEqual([false, false, false, true]);
        expect(results.reduce((sum, result) => sum + result.removed, 0)).toBe(6);
        const floors = results.map((result) => result.floor);
        expect([...floors].sort((x, y) => x - y)).toEqual(floors);
        expect(await ids(store)).toEqual(['notes/p0', 'notes/p3', 'notes/p6', 'notes/p9']);
        // Done means done: the next sweep looks at nothing it has seen.
        expect(await sweep(store, T0 + HOUR + 1, HOUR, 3)).toMatchObject({ removed: 0, scanned: 0, done: true });
      }));

    it('removes a tombstone and raises the floor together: a reader sees both or neither', () =>
      withSweeping(async ({ store }) => {
        const written = await write(store, ...Array.from({ length: 40 }, (_, i) => tombstone('notes', `t${i}`)));
        await sweep(store, T0);
        const sweeping = sweepAll(store, T0 + HOUR, HOUR, 4);
        let done = false;
        const over = () => (done = true);
        sweeping.then(over, over);
        for (let round = 0; round < 10_000; round++) {
          const stillSweeping = !done;
          const page = await store.readChanges({ after: 0, limit: 100 });
          const present = new Set(page.rows.map((row) => row.version));
          for (const row of written) expect(present.has(row.version) || (page.gcFloor ?? 0) >= row.version).toBe(true);
          if (!stillSweeping) break;
          await new Promise((resolve) => setImmediate(resolve));
        }
        await sweeping;
        expect(await ids(store)).toEqual([]);
      }));

    it('keeps the floors, the marks and how far it got across a reopen', () =>
      withSweeping(async (fixture) => {
        if (fixture.reopen === undefined) return; // not persistent: nothing to keep
        const { store } = fixture;
        const [first] = await write(store, tombstone('notes', 'first'));
        await sweep(store, T0);
        const [second] = await write(store, tombstone('notes', 'second'));
        await sweep(store, T0 + HOUR);
        let reopened = await fixture.reopen();
        expect(await reopened.readChanges({ after: 0, limit: 10, collectives: ['notes'] })).toMatchObject({ gcFloor: first?.version });
        expect(await reopened.latestVersion()).toBe(second?.version);
        // The mark taken at T0 + HOUR survived: a sweep a horizon later removes `second`.
        expect(await sweep(reopened, T0 + 2 * HOUR)).toMatchObject({ removed: 1, floor: second?.version });
        await reopened.close();
        reopened = await fixture.reopen();
        expect(await reopened.latestVersion()).toBe(second?.version);
        expect(await reopened.latestVersionIn(['notes'])).toBe(second?.version);
        expect(await reopened.readChanges({ after: 0, limit: 10 })).toMatchObject({ rows: [], gcFloor: second?.version, latest: second?.version });
      }));

    it('removes each tombstone once when instances sweep at the same time, and they agree on the floor', () =>
      withSweeping(async (fixture) => {
        if (fixture.another === undefined) return; // single-process store
        const other = await fixture.another();
        const written = await write(fixture.store, ...Array.from({ length: 30 }, (_, i) => tombstone('notes', `t${i}`)));
        await sweep(fixture.store, T0);
        const runs = await Promise.all([sweepAll(fixture.store, T0 + HOUR, HOUR, 5), sweepAll(other, T0 + HOUR, HOUR, 5)]);
        const removed = runs.flat().reduce((sum, result) => sum + result.removed, 0);
        expect(removed).toBe(30);
        expect(await ids(other)).toEqual([]);
        const top = written[written.length - 1]?.version;
        expect(await fixture.store.readChanges({ after: 0, limit: 10 })).toMatchObject({ gcFloor: top });
        expect(await other.readChanges({ after: 0, limit: 10 })).toMatchObject({ gcFloor: top });
      }));
  });
}
