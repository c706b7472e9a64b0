/**
 * The part of the `ServerStore` contract that the identity rules lean on: instance
 * records kept with the push that wrote them, one secret per data set, the latest version
 * of some collectives, and commit events that name what they touched. Included by
 * `server-store-contract.ts`, so every store runs it.
 */
import { describe, expect, it } from 'vitest';
import type { InstanceRecord, ServerStore, StoreCommit } from '../server/types.ts';
import { eventually, put, SOURCE_A, SOURCE_B, tick, withFixture, write, type StoreFixture } from './server-store-fixture.ts';

const RECORD: InstanceRecord = { instanceId: SOURCE_A, owner: 'alice', keyId: 'nonce-1', seq: 7, recent: [[6, 'abc'], [7, 'def']] };

/** Collects what `store`'s commit listeners hear. */
function hear(store: ServerStore): { commits: StoreCommit[]; off: () => void } {
  const commits: StoreCommit[] = [];
  const off = store.onCommit((commit) => commits.push(commit));
  return { commits, off };
}

/** Runs the instance-record part of the contract on the stores `open()` makes. */
export function runInstanceStoreContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`ServerStore contract, identity: ${name}`, () => {
    const withStore = (test: (fixture: StoreFixture) => Promise<void>): Promise<void> => withFixture(open, test);

    it('keeps an instance record with its transaction: seen inside it, committed with it, replaced whole', () =>
      withStore(async ({ store }) => {
        expect(await store.getInstance(SOURCE_A)).toBeUndefined();
        await store.transaction(async (tx) => {
          expect(await tx.getInstance(SOURCE_A)).toBeUndefined();
          await tx.putInstance(RECORD);
          expect(await tx.getInstance(SOURCE_A)).toEqual(RECORD);
          // Not visible outside until the commit.
          expect(await store.getInstance(SOURCE_A)).toBeUndefined();
        });
        expect(await store.getInstance(SOURCE_A)).toEqual(RECORD);
        const keyless = { ...RECORD, owner: null, keyId: null, seq: 9, recent: [] };
        await store.transaction((tx) => tx.putInstance(keyless));
        expect(await store.getInstance(SOURCE_A)).toEqual(keyless);
        expect(await store.getInstance(SOURCE_B)).toBeUndefined();
      }));

    it('rolls an instance record back with a transaction that throws', () =>
      withStore(async ({ store }) => {
        await store.transaction((tx) => tx.putInstance(RECORD));
        const failure = await store
          .transaction(async (tx) => {
            await tx.putInstance({ ...RECORD, owner: 'mallory', seq: 99 });
            throw new Error('boom');
          })
          .catch((error: unknown) => error);
        expect((failure as Error).message).toBe('boom');
        expect(await store.getInstance(SOURCE_A)).toEqual(RECORD);
      }));

    it('keeps one secret per data set: the same across calls and a reopen, another for another store', () =>
      withStore(async (fixture) => {
        const secret = await fixture.store.secret();
        expect(secret).toMatch(/^[0-9a-f]{64}$/);
        expect(await fixture.store.secret()).toBe(secret);
        expect(secret).not.toBe(await fixture.store.serverId());
        if (fixture.another !== undefined) expect(await (await fixture.another()).secret()).toBe(secret);
        if (fixture.reopen !== undefined) {
          await fixture.store.transaction((tx) => tx.putInstance(RECORD));
          const reopened = await fixture.reopen();
          expect(await reopened.secret()).toBe(secret);
          expect(await reopened.getInstance(SOURCE_A)).toEqual(RECORD);
        }
        await withFixture(open, async (other) => expect(await other.store.secret()).not.toBe(secret));
      }));

    it('answers the highest version among the rows of some collectives, 0 when they hold none', () =>
      withStore(async ({ store }) => {
        expect(await store.latestVersionIn(['notes'])).toBe(0);
        const [a] = await write(store, put('notes', 'a', 1));
        const [b] = await write(store, put('todos', 'b', 2));
        const [again] = await write(store, put('notes', 'a', 3));
        await write(store, put('tags', 'c', 4));
        expect(await store.latestVersionIn(['notes'])).toBe(again?.version);
        expect(await store.latestVersionIn(['todos', 'missing'])).toBe(b?.version);
        expect(await store.latestVersionIn(['notes', 'todos'])).toBe(again?.version);
        expect(await store.latestVersionIn([])).toBe(0);
        expect(a?.version).toBeLessThan(again?.version as number);
      }));

    it('pages a few collectives, or a hundred, in version order across them, leaving out the puller, counting what matches', () =>
      withStore(async ({ store }) => {
        // Rows of 100 collectives interleaved, every third one the puller's own.
        const collectives = Array.from({ length: 100 }, (_, i) => `c${String(i).padStart(3, '0')}`);
        const rows = Array.from({ length: 300 }, (_, i) => put(collectives[(i * 7) % 100] as string, `r${i}`, i, i % 3 === 0 ? SOURCE_B : SOURCE_A));
        await write(store, ...rows);
        for (const wanted of [collectives.slice(0, 3), collectives.slice(0, 80), [collectives[5] as string, 'missing']]) {
          const expected = (await store.readChanges({ after: 0, limit: 1000 })).rows
            .filter((row) => wanted.includes(row.collective) && row.source !== SOURCE_B)
            .map((row) => row.version);
          const seen: number[] = [];
          let cursor = 0;
          for (let page = 0; page < 1000; page++) {
            const result = await store.readChanges({ after: cursor, limit: 4, collectives: wanted, excludeSource: SOURCE_B, withTotal: true });
            expect(result.total).toBe(expected.length - seen.length);
            seen.push(...result.rows.map((row) => row.version));
            cursor = result.newCursor;
            if (!result.hasMore) break;
          }
          expect(seen).toEqual(expected);
        }
      }));

    it('tells commit listeners which collectives a commit wrote in, once each', () =>
      withStore(async ({ store }) => {
        const { commits, off } = hear(store);
        await write(store, put('notes', 'a', 1), put('notes', 'b', 2), put('todos', 'c', 3));
        await store.transaction((tx) => tx.putInstance(RECORD)); // wrote no rows: no event
        await write(store, put('private:alice', 'd', 4));
        await eventually(() => commits.length === 2, 'two commit events');
        await tick();
        expect(commits.map((commit) => [...(commit.collectives ?? [])].sort())).toEqual([['notes', 'todos'], ['private:alice']]);
        off();
      }));
  });
}
