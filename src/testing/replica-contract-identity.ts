/**
 * The replica contract, identity side: what a handshake tells of the replica, the
 * instance key a server issued, and the fresh identity a replica takes when a server
 * refuses its id (a copied profile, an id taken by someone else).
 */
import { describe, expect, it } from 'vitest';
import { PEER, pulled, type FreshReplica } from './replica-contract-fixtures.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const KEY = 'AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';

/** Registers the tests of the replica's identity. */
export function identityTests(fresh: FreshReplica): void {
  describe('identity', () => {
    it('tells a handshake its id, no key, and a write counter that acknowledgements do not lower', async () => {
      const { replica } = await fresh();
      expect(await replica.identity()).toEqual({ instanceId: replica.instanceId, lastSeq: 0 });
      await replica.putMany([
        { collective: 'c', id: 'a', value: 1 },
        { collective: 'c', id: 'b', value: 2 },
      ]);
      await replica.delete('c', 'a');
      await replica.acknowledge(PEER, 3);
      expect(await replica.pendingCount()).toBe(0);
      expect(await replica.identity()).toEqual({ instanceId: replica.instanceId, lastSeq: 3 });
    });

    it('keeps the instance key a server issued, for every store object over the database', async () => {
      const { replica, reopen } = await fresh();
      expect(await replica.saveInstanceKey(replica.instanceId, KEY, undefined)).toBe(KEY);
      const again = await reopen();
      expect(await again.identity()).toEqual({ instanceId: replica.instanceId, instanceKey: KEY, lastSeq: 0 });
    });

    it('ignores a key issued for an id the replica does not hold', async () => {
      const { replica } = await fresh();
      expect(await replica.saveInstanceKey('01900000-0000-7000-8000-0000000000bb', KEY, undefined)).toBeUndefined();
      expect((await replica.identity()).instanceKey).toBeUndefined();
    });

    it('keeps the first of two keys issued to tabs that shook hands at once, and hands it to the second', async () => {
      const { replica, reopen } = await fresh();
      const tab = await reopen();
      const other = `${KEY.slice(0, -1)}C`;
      expect(await replica.saveInstanceKey(replica.instanceId, KEY, undefined)).toBe(KEY);
      expect(await tab.saveInstanceKey(replica.instanceId, other, undefined)).toBe(KEY);
      expect((await tab.identity()).instanceKey).toBe(KEY);
      // A key sent and refused (the server lost its secret) is replaced by the one issued.
      expect(await tab.saveInstanceKey(replica.instanceId, other, KEY)).toBe(other);
      expect((await replica.identity()).instanceKey).toBe(other);
    });

    it('ignores an acknowledgement of a push made under an id it has since retired', async () => {
      const { replica } = await fresh();
      const retired = replica.instanceId;
      await replica.put('c', 'a', 1);
      await replica.put('c', 'b', 2);
      await replica.startNewIdentity(retired);
      await replica.acknowledge(PEER, 2, retired);
      expect((await replica.pendingChanges(10)).map((c) => [c.id, c.seq])).toEqual([['a', 1], ['b', 2]]);
      await replica.acknowledge(PEER, 1, replica.instanceId);
      expect((await replica.pendingChanges(10)).map((c) => c.id)).toEqual(['b']);
    });

    it('starts a fresh identity with no key, its pending changes renumbered from seq 1 and kept, and every cursor back at 0', async () => {
      const { replica, reopen } = await fresh();
      const retired = replica.instanceId;
      await replica.saveInstanceKey(retired, KEY, undefined);
      await replica.applyRemote([pulled('c', 'r', 4)], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 9 } });
      await replica.put('c', 'a', 1);
      await replica.acknowledge(PEER, 1);
      await replica.putMany([
        { collective: 'c', id: 'b', value: 2 },
        { collective: 'c', id: 'd', value: 3 },
      ]);
      await replica.delete('c', 'a');
      const before = await replica.pendingChanges(10);

      const renewed = await replica.startNewIdentity(retired);

      expect(renewed).toMatch(UUID_V7);
      expect(renewed).not.toBe(retired);
      expect(replica.instanceId).toBe(renewed);
      expect(await replica.identity()).toEqual({ instanceId: renewed, lastSeq: 3 });
      expect(await replica.pendingChanges(10)).toEqual(before.map((change, i) => ({ ...change, seq: i + 1, source: renewed })));
      expect(await replica.pullCursor(PEER)).toBe(0);
      expect(await replica.pushCursor(PEER)).toBe(0);
      expect((await replica.get('c', 'r'))?.value).toEqual({ v: 4 });
      // Later writes go on from the renumbered log, under the new id.
      await replica.put('c', 'e', 5);
      expect((await replica.pendingChanges(10)).map((change) => [change.seq, change.source])).toEqual([
        [1, renewed],
        [2, renewed],
        [3, renewed],
        [4, renewed],
      ]);
      expect((await replica.get('c', 'e'))?.source).toBe(renewed);
      const again = await reopen();
      expect(again.instanceId).toBe(renewed);
    });

    it('renews once when two store objects are told the same id was refused', async () => {
      const { replica, reopen } = await fresh();
      const other = await reopen();
      const retired = replica.instanceId;
      await replica.put('c', 'a', 1);
      const first = await replica.startNewIdentity(retired);
      expect(await other.startNewIdentity(retired)).toBe(first);
      expect((await other.identity()).instanceId).toBe(first);
      expect(other.instanceId).toBe(first);
      expect((await replica.pendingChanges(10)).map((change) => change.seq)).toEqual([1]);
    });
  });
}
