/**
 * The replica contract, the life of deletes: a pull from cursor 0 is a snapshot, whose
 * last page drops what the replica held and the snapshot did not bring (deletes whose
 * tombstones the server swept), and the replica's own tombstones go once the server has
 * dealt with their deletes.
 */
import { describe, expect, it } from 'vitest';
import { PEER, pulled, type FreshReplica } from './replica-contract-fixtures.ts';

const LWW = { policy: 'last-write-wins' } as const;

/** Registers the tests of snapshots and tombstones. */
export function snapshotTests(fresh: FreshReplica): void {
  describe('snapshots and tombstones', () => {
    it('after a reset, drops at the snapshot\'s last page the records it did not bring, keeping pending ones, later ones and its mark', async () => {
      const { replica } = await fresh();
      await replica.applyRemote([pulled('c', 'kept', 1), pulled('c', 'gone', 2), pulled('c', 'gone-too', 3, { op: 'delete' })], { ...LWW, cursor: { peer: PEER, from: 0, to: 3 } });
      await replica.put('c', 'mine', 1);
      const instanceId = replica.instanceId;
      const events: string[] = [];
      replica.subscribe((event) => events.push(...event.changes.map((c) => `${c.id}:${c.op}`)));
      await replica.resetPull(PEER, 'cursor-expired');
      expect(await replica.pullCursor(PEER)).toBe(0);
      expect(await replica.snapshotMark(PEER)).toBeUndefined();
      const first = await replica.applyRemote([pulled('c', 'kept', 4)], { ...LWW, cursor: { peer: PEER, from: 0, to: 4, mark: 9 } });
      expect(first.reset).toBeUndefined(); // not the last page: nothing dropped yet
      expect((await replica.get('c', 'gone'))?.value).toEqual({ v: 2 });
      await replica.put('c', 'later', 1); // written during the snapshot
      const last = await replica.applyRemote([], { ...LWW, cursor: { peer: PEER, from: 4, to: 9, last: true } });
      expect(last.reset).toEqual({ cause: 'cursor-expired', dropped: 2 });
      expect((await replica.list('c')).map((r) => r.id)).toEqual(['kept', 'later', 'mine']);
      expect(await replica.snapshotMark(PEER)).toBe(9);
      expect(await replica.pendingCount()).toBe(2);
      expect(replica.instanceId).toBe(instanceId); // a reset keeps the identity, and so every receipt
      expect(events).toContain('gone:delete');
      // The snapshot is over: a later last page drops nothing.
      expect((await replica.applyRemote([], { ...LWW, cursor: { peer: PEER, from: 9, to: 9, last: true } })).reset).toBeUndefined();
    });

    it('keeps what was pending at its first page or written during it, though acknowledged before its end, what it brought unchanged, and a push conflict\'s record', async () => {
      const { replica } = await fresh();
      const at = (id: string, version: number, wallMs: number) => pulled('c', id, version, { wallMs });
      await replica.applyRemote([at('same', 1, 1000), at('gone', 2, 1000), at('told', 3, 1000)], { ...LWW, cursor: { peer: PEER, from: 0, to: 3 } });
      await replica.put('c', 'pending', 1);
      await replica.resetPull(PEER, 'cursor-expired');
      await replica.applyRemote([at('same', 1, 1000)], { ...LWW, cursor: { peer: PEER, from: 0, to: 4, mark: 9 } });
      await replica.put('c', 'during', 2);
      await replica.acknowledge(PEER, 2); // both writes pushed and acknowledged before the snapshot's end
      await replica.applyRemote([at('told', 5, 2000)], LWW); // a push's conflict: the server's state, older than the replica's clock
      const last = await replica.applyRemote([], { ...LWW, cursor: { peer: PEER, from: 4, to: 9, last: true } });
      expect(last.reset).toEqual({ cause: 'cursor-expired', dropped: 1 });
      expect((await replica.list('c')).map((r) => r.id)).toEqual(['during', 'pending', 'same', 'told']);
    });

    it('drops, at the end of a first pull, its own acknowledged records the snapshot did not bring (deleted and swept meanwhile)', async () => {
      const { replica } = await fresh();
      await replica.putMany([
        { collective: 'c', id: 'still', value: 1 },
        { collective: 'c', id: 'swept', value: 2 },
      ]);
      await replica.acknowledge(PEER, 2);
      await replica.put('c', 'waiting', 3);
      // The server serves a snapshot's own rows: `still` comes back, `swept` does not.
      const mine = { ...pulled('c', 'still', 1, { value: 1, source: replica.instanceId }) };
      const result = await replica.applyRemote([mine], { ...LWW, cursor: { peer: PEER, from: 0, to: 5, mark: 5, last: true } });
      expect(result.reset).toBeUndefined(); // not a reset: no reset to report
      expect((await replica.list('c')).map((r) => r.id)).toEqual(['still', 'waiting']);
    });

    for (const policy of ['last-write-wins', 'server-wins'] as const) {
      it(`${policy}: a row of its own never replaces a pending change of the record, and is no conflict`, async () => {
        const { replica } = await fresh();
        await replica.delete('c', 'a');
        await replica.acknowledge(PEER, 1);
        await replica.put('c', 'a', 2);
        const own = pulled('c', 'a', 1, { op: 'delete', source: replica.instanceId, wallMs: Date.now() - 60_000 });
        const result = await replica.applyRemote([own], { policy, cursor: { peer: PEER, from: 0, to: 1, mark: 1, last: true } });
        expect(result).toEqual({ applied: 0, conflicts: [] });
        expect((await replica.get('c', 'a'))?.value).toBe(2);
      });
    }

    it('drops nothing after a pull from 0 answered without a mark (a server that sweeps no tombstones)', async () => {
      const { replica } = await fresh();
      await replica.put('c', 'a', 1);
      await replica.acknowledge(PEER, 1);
      await replica.applyRemote([], { ...LWW, cursor: { peer: PEER, from: 0, to: 3, last: true } });
      expect((await replica.get('c', 'a'))?.value).toBe(1);
    });

    it('keeps what it is told to keep (writes the server refused), and tells no change for rows of its own', async () => {
      const { replica } = await fresh();
      await replica.putMany([
        { collective: 'c', id: 'refused', value: 1 },
        { collective: 'c', id: 'accepted', value: 2 },
      ]);
      await replica.acknowledge(PEER, 2);
      const events: string[] = [];
      replica.subscribe((event) => events.push(...event.changes.map((c) => `${c.id}:${c.op}`)));
      const own = pulled('c', 'accepted', 2, { value: 2, source: replica.instanceId });
      const result = await replica.applyRemote([own], {
        ...LWW,
        cursor: { peer: PEER, from: 0, to: 2, mark: 2, last: true, keep: [{ collective: 'c', id: 'refused' }] },
      });
      expect(result.applied).toBe(1);
      expect((await replica.list('c')).map((r) => r.id)).toEqual(['accepted', 'refused']);
      expect(events).toEqual([]);
    });

    it('drops only records of the collectives the snapshot pulled', async () => {
      const { replica } = await fresh();
      await replica.putMany([
        { collective: 'synced', id: 'a', value: 1 },
        { collective: 'local', id: 'b', value: 2 },
      ]);
      await replica.acknowledge(PEER, 2);
      await replica.applyRemote([], { ...LWW, cursor: { peer: PEER, from: 0, to: 3, mark: 3, last: true, collectives: ['synced'] } });
      expect(await replica.get('synced', 'a')).toBeUndefined();
      expect((await replica.get('local', 'b'))?.value).toBe(2);
    });

    it('starts the snapshot again from a later pull from 0, judging by what it holds then', async () => {
      const { replica } = await fresh();
      await replica.put('c', 'a', 1);
      await replica.acknowledge(PEER, 1);
      await replica.applyRemote([], { ...LWW, cursor: { peer: PEER, from: 0, to: 2, mark: 2 } }); // cut short
      await replica.resetPull(PEER, 'cursor-ahead');
      await replica.put('c', 'b', 2);
      await replica.acknowledge(PEER, 2);
      const last = await replica.applyRemote([pulled('c', 'a', 1)], { ...LWW, cursor: { peer: PEER, from: 0, to: 1, mark: 1, last: true } });
      expect(last.reset).toEqual({ cause: 'cursor-ahead', dropped: 1 });
      expect((await replica.list('c')).map((r) => r.id)).toEqual(['a']);
    });

    it('reads a large replica in bounded pages: a snapshot keeps and drops the right ones among 1,201 records', async () => {
      const { replica } = await fresh();
      const ids = Array.from({ length: 1_201 }, (_, i) => `r${String(i).padStart(4, '0')}`);
      await replica.applyRemote(
        ids.map((id, i) => pulled('c', id, i + 1)),
        { ...LWW, cursor: { peer: PEER, from: 0, to: ids.length } },
      );
      await replica.resetPull(PEER, 'cursor-ahead');
      // The server still holds every third record; the others are gone from it.
      const held = ids.filter((_, i) => i % 3 === 0);
      const last = await replica.applyRemote(
        held.map((id, i) => pulled('c', id, i + 1)),
        { ...LWW, cursor: { peer: PEER, from: 0, to: held.length, mark: held.length, last: true } },
      );
      expect(last.reset).toEqual({ cause: 'cursor-ahead', dropped: ids.length - held.length });
      expect((await replica.list('c')).map((r) => r.id)).toEqual(held);
    });

    it('drops its own tombstone once the server has dealt with the delete, and only that one', async () => {
      const { replica } = await fresh();
      await replica.applyRemote([pulled('c', 'theirs', 1, { op: 'delete' })], { ...LWW, cursor: { peer: PEER, from: 0, to: 1 } });
      await replica.put('c', 'a', 1);
      await replica.delete('c', 'a');
      await replica.delete('c', 'b');
      await replica.acknowledge(PEER, 2);
      await replica.resetPull(PEER, 'cursor-expired');
      // What a snapshot of an empty server finds to drop: the pulled tombstone only. The
      // tombstone of `a` went with its acknowledgement; that of `b` waits for its own.
      const last = await replica.applyRemote([], { ...LWW, cursor: { peer: PEER, from: 0, to: 1, mark: 1, last: true } });
      expect(last.reset).toEqual({ cause: 'cursor-expired', dropped: 1 });
      expect(await replica.pendingCount()).toBe(1);
    });

    it('keeps a record whose acknowledged delete a later write replaced, local or pulled', async () => {
      const { replica } = await fresh();
      await replica.delete('c', 'a');
      await replica.put('c', 'a', 2);
      await replica.delete('c', 'b');
      await replica.applyRemote([pulled('c', 'b', 1, { wallMs: Date.now() + 60_000 })], { ...LWW, cursor: { peer: PEER, from: 0, to: 1 } });
      await replica.acknowledge(PEER, 3);
      expect((await replica.get('c', 'a'))?.value).toBe(2);
      expect((await replica.get('c', 'b'))?.value).toEqual({ v: 1 });
    });
  });
}
