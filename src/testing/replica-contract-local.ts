/**
 * The replica contract, local side: records as the app writes and reads them, and the
 * change log those writes leave for push.
 */
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../protocol/types.ts';
import { failureCode, PEER, pulled, type FreshReplica } from './replica-contract-fixtures.ts';

/** Registers the tests of records and the change log. */
export function localWriteTests(fresh: FreshReplica): void {
  describe('records', () => {
    it('gives back what was put', async () => {
      const { replica } = await fresh();
      await replica.put('notes', 'a', { title: 'hello', tags: ['x'] });
      const entry = await replica.get('notes', 'a');
      expect(entry?.value).toEqual({ title: 'hello', tags: ['x'] });
      expect(entry?.source).toBe(replica.instanceId);
      expect(entry?.version).toBeUndefined();
    });

    it('answers undefined for a record never written', async () => {
      const { replica } = await fresh();
      expect(await replica.get('notes', 'missing')).toBeUndefined();
    });

    it('lists one collective, ordered by id, without its neighbours', async () => {
      const { replica } = await fresh();
      await replica.put('notes', 'b', 2);
      await replica.put('notes', 'a', 1);
      await replica.put('notes', 'c', 3);
      await replica.put('note', 'z', 0);
      await replica.put('notes2', 'a', 0);
      const ids = (await replica.list('notes')).map((r) => r.id);
      expect(ids).toEqual(['a', 'b', 'c']);
    });

    it('hides a deleted record from get and list', async () => {
      const { replica } = await fresh();
      await replica.put('notes', 'a', 1);
      await replica.put('notes', 'b', 2);
      await replica.delete('notes', 'a');
      expect(await replica.get('notes', 'a')).toBeUndefined();
      expect((await replica.list('notes')).map((r) => r.id)).toEqual(['b']);
    });

    it('stores null, false and 0 as values', async () => {
      const { replica } = await fresh();
      await replica.putMany([
        { collective: 'c', id: 'null', value: null },
        { collective: 'c', id: 'false', value: false },
        { collective: 'c', id: 'zero', value: 0 },
      ]);
      expect((await replica.list('c')).map((r) => r.value)).toEqual([false, null, 0]);
    });

    it('refuses a bad argument with INVALID_PAYLOAD and writes nothing', async () => {
      const { replica } = await fresh();
      expect(await failureCode(replica.put('', 'a', 1))).toBe('INVALID_PAYLOAD');
      expect(await failureCode(replica.put('notes', '', 1))).toBe('INVALID_PAYLOAD');
      expect(await failureCode(replica.put('notes', 'a', new Date() as unknown as JsonValue))).toBe('INVALID_PAYLOAD');
      expect(await failureCode(replica.get('', 'a'))).toBe('INVALID_PAYLOAD');
      expect(await replica.pendingCount()).toBe(0);
    });

    it('writes all of a putMany or, if one record is invalid, none of it', async () => {
      const { replica } = await fresh();
      const code = await failureCode(
        replica.putMany([
          { collective: 'notes', id: 'a', value: 1 },
          { collective: 'notes', id: 'b', value: undefined as unknown as JsonValue },
          { collective: 'notes', id: 'c', value: 3 },
        ]),
      );
      expect(code).toBe('INVALID_PAYLOAD');
      expect(await replica.list('notes')).toEqual([]);
      expect(await replica.pendingCount()).toBe(0);

      await replica.putMany([
        { collective: 'notes', id: 'a', value: 1 },
        { collective: 'notes', id: 'c', value: 3 },
      ]);
      expect((await replica.list('notes')).map((r) => r.value)).toEqual([1, 3]);
    });

    it('puts and deletes together with write, returning the logged changes', async () => {
      const { replica } = await fresh();
      await replica.put('notes', 'old', 0);
      const changes = await replica.write([
        { op: 'put', collective: 'notes', id: 'new', value: 'n' },
        { op: 'delete', collective: 'notes', id: 'old' },
      ]);
      expect(changes.map((c) => [c.seq, c.op, c.id])).toEqual([
        [2, 'put', 'new'],
        [3, 'delete', 'old'],
      ]);
      expect(changes[1]).not.toHaveProperty('value');
      expect((await replica.list('notes')).map((r) => r.id)).toEqual(['new']);
    });
  });

  describe('change log', () => {
    it('logs every local write with its seq, source, hlc and base version', async () => {
      const { replica } = await fresh();
      await replica.put('notes', 'a', { n: 1 });
      await replica.delete('notes', 'a');
      const pending = await replica.pendingChanges(10);
      expect(pending).toHaveLength(2);
      expect(pending[0]).toMatchObject({ seq: 1, source: replica.instanceId, collective: 'notes', id: 'a', op: 'put', value: { n: 1 }, baseVersion: null });
      expect(pending[1]).toMatchObject({ seq: 2, op: 'delete', baseVersion: null });
      expect(pending[1]).not.toHaveProperty('value');
      expect(pending[0]!.hlc < pending[1]!.hlc).toBe(true);
      expect((await replica.get('notes', 'a'))).toBeUndefined();
    });

    it('gives the changes of one transaction one timestamp and consecutive seqs', async () => {
      const { replica } = await fresh();
      const changes = await replica.write([
        { op: 'put', collective: 'c', id: '1', value: 1 },
        { op: 'put', collective: 'c', id: '2', value: 2 },
        { op: 'put', collective: 'c', id: '3', value: 3 },
      ]);
      expect(changes.map((c) => c.seq)).toEqual([1, 2, 3]);
      expect(new Set(changes.map((c) => c.hlc)).size).toBe(1);
      expect(await replica.pendingChanges(10)).toEqual(changes);
    });

    it('numbers changes without gaps across transactions and reopens', async () => {
      const { replica, reopen } = await fresh();
      await replica.put('c', 'a', 1);
      await replica.putMany([
        { collective: 'c', id: 'b', value: 2 },
        { collective: 'c', id: 'c', value: 3 },
      ]);
      replica.close();
      const again = await reopen();
      await again.put('c', 'd', 4);
      expect((await again.pendingChanges(100)).map((c) => c.seq)).toEqual([1, 2, 3, 4]);
    });

    it('never reuses a seq, even after everything was acknowledged', async () => {
      const { replica, reopen } = await fresh();
      await replica.putMany([
        { collective: 'c', id: 'a', value: 1 },
        { collective: 'c', id: 'b', value: 2 },
      ]);
      await replica.acknowledge(PEER, 2);
      replica.close();
      const again = await reopen();
      await again.put('c', 'c', 3);
      expect((await again.pendingChanges(10)).map((c) => c.seq)).toEqual([3]);
    });

    it('never hands out one seq twice to concurrent writes, in one store object or two', async () => {
      const { replica, reopen } = await fresh();
      const otherTab = await reopen();
      expect(otherTab.instanceId).toBe(replica.instanceId);
      await Promise.all([
        replica.put('c', 'a', 1),
        otherTab.putMany([{ collective: 'c', id: 'b', value: 2 }, { collective: 'c', id: 'c', value: 3 }]),
        replica.write([{ op: 'delete', collective: 'c', id: 'a' }]),
        otherTab.put('c', 'd', 4),
      ]);
      const seqs = (await replica.pendingChanges(10)).map((c) => c.seq);
      expect(seqs).toEqual([1, 2, 3, 4, 5]);
      const hlcs = (await otherTab.pendingChanges(10)).map((c) => c.hlc);
      expect([...hlcs].sort()).toEqual(hlcs);
    });

    it('numbers the writes of two tabs taking turns in one sequence, each clock after the last', async () => {
      const { replica, reopen } = await fresh();
      const otherTab = await reopen();
      const turns: (() => Promise<unknown>)[] = [
        () => replica.put('c', 'a', 1),
        () => otherTab.put('c', 'b', 2),
        () => replica.putMany([{ collective: 'c', id: 'c', value: 3 }, { collective: 'c', id: 'd', value: 4 }]),
        () => otherTab.write([{ op: 'delete', collective: 'c', id: 'a' }]),
        () => replica.put('c', 'e', 5),
        () => replica.put('c', 'f', 6),
        () => otherTab.put('c', 'g', 7),
      ];
      for (const turn of turns) await turn();
      const changes = await replica.pendingChanges(20);
      expect(changes.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(changes.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd', 'a', 'e', 'f', 'g']);
      const hlcs = [...new Set(changes.map((c) => c.hlc))];
      expect(hlcs).toHaveLength(7);
      expect([...hlcs].sort()).toEqual(hlcs);
      expect(await replica.list('c')).toHaveLength(6);
    });

    it('takes the next seq after another tab wrote and had everything acknowledged', async () => {
      const { replica, reopen } = await fresh();
      const otherTab = await reopen();
      await replica.put('c', 'a', 1);
      await otherTab.put('c', 'b', 2);
      await otherTab.acknowledge(PEER, 2);
      const [change] = await replica.write([{ op: 'put', collective: 'c', id: 'c', value: 3 }]);
      expect(change!.seq).toBe(3);
      expect(await replica.pendingChanges(10)).toEqual([change]);
    });

    it('stamps a write after a pull applied by another tab, and bases it on that pull', async () => {
      const { replica, reopen } = await fresh();
      const otherTab = await reopen();
      await replica.put('c', 'a', 1);
      const incoming = pulled('c', 'x', 7, { wallMs: Date.now() + 4 * 60_000 });
      await otherTab.applyRemote([incoming], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 7 } });
      const [change] = await replica.write([{ op: 'put', collective: 'c', id: 'b', value: 2 }]);
      expect(change!.seq).toBe(2);
      expect(change!.hlc > incoming.hlc).toBe(true);
      expect(change!.baseVersion).toBe(7);
    });

    it('keeps its instanceId across reopens, and two replicas differ', async () => {
      const { replica, reopen } = await fresh();
      const id = replica.instanceId;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      replica.close();
      expect((await reopen()).instanceId).toBe(id);
      expect((await fresh()).replica.instanceId).not.toBe(id);
    });

    it('splits a transaction across the limit of pendingChanges', async () => {
      const { replica } = await fresh();
      await replica.putMany([1, 2, 3, 4, 5].map((n) => ({ collective: 'c', id: `r${n}`, value: n })));
      await replica.put('c', 'r6', 6);
      const first = await replica.pendingChanges(3);
      expect(first.map((c) => c.seq)).toEqual([1, 2, 3]);
      await replica.acknowledge(PEER, 3);
      const rest = await replica.pendingChanges(10);
      expect(rest.map((c) => c.seq)).toEqual([4, 5, 6]);
      expect(rest[0]!.hlc).toBe(first[0]!.hlc);
      expect(rest.map((c) => c.id)).toEqual(['r4', 'r5', 'r6']);
    });

    it('answers an empty list for a limit of 0 or an empty log', async () => {
      const { replica } = await fresh();
      expect(await replica.pendingChanges(10)).toEqual([]);
      await replica.put('c', 'a', 1);
      expect(await replica.pendingChanges(0)).toEqual([]);
    });

    it('drops acknowledged changes, trims a half-acknowledged transaction and counts the rest', async () => {
      const { replica } = await fresh();
      await replica.put('c', 'a', 1); // seq 1
      await replica.putMany([2, 3, 4].map((n) => ({ collective: 'c', id: `r${n}`, value: n }))); // 2..4
      await replica.put('c', 'e', 5); // seq 5
      expect(await replica.pendingCount()).toBe(5);

      await replica.acknowledge(PEER, 3);
      expect(await replica.pendingCount()).toBe(2);
      expect((await replica.pendingChanges(10)).map((c) => c.seq)).toEqual([4, 5]);

      await replica.acknowledge(PEER, 5);
      expect(await replica.pendingCount()).toBe(0);
      expect(await replica.pendingChanges(10)).toEqual([]);
      await replica.put('c', 'f', 6);
      expect(await replica.pendingCount()).toBe(1);
    });

    it('never moves the push cursor back, and keeps it per peer', async () => {
      const { replica } = await fresh();
      await replica.putMany([1, 2, 3, 4, 5].map((n) => ({ collective: 'c', id: `r${n}`, value: n })));
      expect(await replica.pushCursor(PEER)).toBe(0);
      await replica.acknowledge(PEER, 4);
      await replica.acknowledge(PEER, 2);
      expect(await replica.pushCursor(PEER)).toBe(4);
      expect(await replica.pushCursor('server-2')).toBe(0);
      expect((await replica.pendingChanges(10)).map((c) => c.seq)).toEqual([5]);
    });

    it('keeps push and pull cursors apart', async () => {
      const { replica } = await fresh();
      await replica.put('c', 'a', 1);
      await replica.acknowledge(PEER, 1);
      await replica.applyRemote([pulled('c', 'x', 40)], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 40 } });
      expect(await replica.pushCursor(PEER)).toBe(1);
      expect(await replica.pullCursor(PEER)).toBe(40);
    });
  });

}
