/**
 * The part of the `ServerStore` contract that only stores shared by several instances
 * (several server processes over one database) run: commits heard across instances,
 * serialised transactions, and no row skipped by a reader while commits race.
 */
import { describe, expect, it } from 'vitest';
import type { ServerStore, StoreCommit } from '../server/types.ts';
import { seededRandom } from './seeded-random.ts';
import { eventually, put, SOURCE_A, tick, withFixture, write, type StoreFixture } from './server-store-fixture.ts';

/** Runs the shared-store tests on the fixtures `open()` makes; a fixture without `another` passes them vacuously. */
export function runSharedStoreContract(name: string, open: () => Promise<StoreFixture>): void {
describe(`shared by several store instances (processes): ${name}`, () => {
  /** Runs `test` only on stores that several instances can share. */
  function withShared(test: (fixture: StoreFixture, another: () => Promise<ServerStore>) => Promise<void>): Promise<void> {
    return withFixture(open, async (fixture) => {
      if (fixture.another !== undefined) await test(fixture, fixture.another);
    });
  }

    it('hears commits made through another instance', () =>
      withShared(async (fixture, another) => {
        const other = await another();
        let heard = 0;
        fixture.store.onCommit(() => heard++);
        await (fixture.store as { listening?: () => Promise<void> }).listening?.();
        await write(other, put('notes', 'a', 1));
        await eventually(() => heard >= 1, 'a commit from another instance');
        expect(await fixture.store.serverId()).toBe(await other.serverId());
      }));

    it('tells other instances which collectives a commit wrote in, even more than one notification holds', () =>
      withShared(async (fixture, another) => {
        const other = await another();
        const heard: StoreCommit[] = [];
        fixture.store.onCommit((commit) => heard.push(commit));
        await (fixture.store as { listening?: () => Promise<void> }).listening?.();
        await write(other, put('notes', 'a', 1), put('private:bob', 'b', 2));
        // Names of 120 characters: 100 of them are far more than a notification payload holds.
        const many = Array.from({ length: 100 }, (_, i) => `${'c'.repeat(116)}${String(i).padStart(4, '0')}`);
        await write(other, ...many.map((collective, i) => put(collective, `r${i}`, i)));
        await eventually(() => heard.length >= 2, 'two commits from another instance');
        expect([...(heard[0]?.collectives ?? [])].sort()).toEqual(['notes', 'private:bob']);
        expect([...(heard[1]?.collectives ?? [])].sort()).toEqual(many);
      }));

    it('serialises read-modify-writes across instances', () =>
      withShared(async (fixture, another) => {
        const stores = [fixture.store, await another()];
        await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (stores[i % 2] as ServerStore).transaction(async (tx) => {
              const seq = await tx.getAppliedSeq(SOURCE_A);
              await tick();
              await tx.setAppliedSeq(SOURCE_A, seq + 1);
            }),
          ),
        );
        expect(await fixture.store.transaction((tx) => tx.getAppliedSeq(SOURCE_A))).toBe(10);
      }));

    it('never lets a paging reader skip a row that commits late: concurrent writers, every record read', () =>
      withShared(async (fixture, another) => {
        const writers = [fixture.store, await another()];
        const reader = await another();
        const perWriter = 25;
        const random = seededRandom(20261125);
        let writing = true;
        const writes = writers.map(async (store, w) => {
          for (let i = 0; i < perWriter; i++) {
            await store.transaction(async (tx) => {
              await tx.writeRecords([put('notes', `w${w}-${i}`, i)]);
              // Hold the transaction open a little, at random, so commits would
              // come out of version order if the store allowed it.
              for (let t = random.int(0, 3); t > 0; t--) await new Promise((resolve) => setTimeout(resolve, 1));
            });
          }
        });
        const done = Promise.all(writes).finally(() => (writing = false));
        const seen = new Set<string>();
        let cursor = 0;
        for (let round = 0; round < 100_000; round++) {
          const stillWriting = writing;
          const page = await reader.readChanges({ after: cursor, limit: 3 });
          for (const row of page.rows) seen.add(row.id);
          expect(page.newCursor).toBeGreaterThanOrEqual(cursor);
          cursor = page.newCursor;
          if (!stillWriting && !page.hasMore) break;
        }
        await done;
        expect(seen.size).toBe(writers.length * perWriter);
      }));
  });
}
