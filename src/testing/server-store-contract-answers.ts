/**
 * The part of the `ServerStore` contract that a push re-sent after a lost answer leans
 * on: the server's answers kept with the instance record (`server/instance-answers.ts`),
 * committed with the push and kept across a reopen, so that the re-sent push is told
 * the same refusals and conflicts. Run through a sync server over the store, since the
 * rules live there. Included by `server-store-contract.ts`, so every store runs it.
 */
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../clock/hlc.ts';
import type { ConflictPolicy, JsonValue, PushRequest, SyncChange } from '../protocol/types.ts';
import { collectiveAccess } from '../server/access.ts';
import { createSyncServer } from '../server/sync-server.ts';
import type { InstanceRecord, ServerStore } from '../server/types.ts';
import { SOURCE_A, SOURCE_B, withFixture, type StoreFixture } from './server-store-fixture.ts';

const ANSWERED: InstanceRecord = {
  instanceId: SOURCE_A,
  owner: 'me',
  keyId: null,
  seq: 3,
  recent: [[3, 'abc']],
  answers: [
    [1, 'FORBIDDEN', 'me may not write to collective "tags"', null],
    [2, 'CONFLICT', 'the record is at version 1', 'server-wins'],
    [3, null, null, 'last-write-wins'],
  ],
};

let wall = Date.now();

function change(source: string, seq: number, collective: string, id: string, value: JsonValue): SyncChange {
  return { collective, id, op: 'put', value, hlc: formatHlc({ wallMs: ++wall, counter: 0, node: source.slice(-4) }), source, seq, baseVersion: null };
}

function push(policy: ConflictPolicy, changes: SyncChange[]): PushRequest {
  return { instanceId: changes[0]?.source ?? SOURCE_A, policy, changes };
}

/** A server over `store` that sweeps nothing on its own. */
const serverOver = (store: ServerStore) => createSyncServer({ store, gcIntervalMs: 0 });

/** Runs the kept-answers part of the contract on the stores `open()` makes. */
export function runAnswersStoreContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`ServerStore contract, kept answers: ${name}`, () => {
    const withStore = (test: (fixture: StoreFixture) => Promise<void>): Promise<void> => withFixture(open, test);
    const access = collectiveAccess('me', { read: ['notes', 'tags'], write: ['notes'] });

    it('keeps the answers of an instance record, absent when there are none', () =>
      withStore(async ({ store }) => {
        await store.transaction((tx) => tx.putInstance(ANSWERED));
        expect(await store.getInstance(SOURCE_A)).toEqual(ANSWERED);
        await store.transaction(async (tx) => expect(await tx.getInstance(SOURCE_A)).toEqual(ANSWERED));
        const { answers: _, ...none } = ANSWERED;
        await store.transaction((tx) => tx.putInstance({ ...none, answers: [] }));
        expect(await store.getInstance(SOURCE_A)).toEqual(none);
      }));

    it('tells a push sent again after a lost answer the refusals and conflicts the first answer carried, across a reopen', () =>
      withStore(async (fixture) => {
        const theirs = change(SOURCE_B, 1, 'notes', 'n', 'theirs');
        await serverOver(fixture.store).handlePush(push('server-wins', [theirs]));
        const mine = push('server-wins', [change(SOURCE_A, 1, 'tags', 't', 'mine'), change(SOURCE_A, 2, 'notes', 'n', 'mine'), change(SOURCE_A, 3, 'notes', 'm', 'ok')]);
        const first = await serverOver(fixture.store).handlePush(mine, access);
        expect(first.rejected.map((r) => [r.seq, r.reason])).toEqual([
          [1, 'FORBIDDEN'],
          [2, 'CONFLICT'],
        ]);
        expect(first.conflicts.map((c) => [c.seq, c.server?.value])).toEqual([[2, 'theirs']]);

        // Applied before: nothing written, so a restricted caller's cursor says 0.
        const again = await serverOver(fixture.store).handlePush(mine, access);
        expect(again).toEqual({ ...first, accepted: 0, newCursor: 0 });
        const store = fixture.reopen === undefined ? fixture.store : await fixture.reopen();
        expect(await serverOver(store).handlePush(mine, access)).toEqual({ ...first, accepted: 0, newCursor: 0 });

        // A push from seq 4 on shows that the replica heard the answers below it: they go.
        await serverOver(store).handlePush(push('server-wins', [change(SOURCE_A, 4, 'notes', 'o', 'more')]), access);
        expect((await store.getInstance(SOURCE_A))?.answers).toBeUndefined();
        const late = await serverOver(store).handlePush(mine, access);
        expect([late.rejected, late.conflicts]).toEqual([[], []]);
      }));

    it('tells a last-write-wins change the server beat its conflict again, with the record as it is now', () =>
      withStore(async ({ store }) => {
        const server = serverOver(store);
        const early = change(SOURCE_A, 1, 'notes', 'n', 'early');
        await server.handlePush(push('last-write-wins', [change(SOURCE_B, 1, 'notes', 'n', 'later')]));
        const first = await server.handlePush(push('last-write-wins', [early]));
        expect(first.rejected).toEqual([]);
        expect(first.conflicts.map((c) => c.server?.value)).toEqual(['later']);
        await server.handlePush(push('last-write-wins', [change(SOURCE_B, 2, 'notes', 'n', 'latest')]));
        const again = await server.handlePush(push('last-write-wins', [early]));
        expect(again.conflicts.map((c) => [c.seq, c.policy, c.server?.value])).toEqual([[1, 'last-write-wins', 'latest']]);
      }));
  });
}
