/**
 * The replica contract, sync side: pulled batches and their cursor, server states
 * learnt outside the feed, change events, and closing and reopening.
 */
import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../store/types.ts';
import { failureCode, OTHER_REPLICA, PEER, pulled, type FreshReplica } from './replica-contract-fixtures.ts';

/** Registers the tests of applying remote changes, change events and the lifecycle. */
export function remoteApplyTests(fresh: FreshReplica): void {
  describe('applying a pulled batch', () => {
    it('writes the batch and its cursor, and logs nothing', async () => {
      const { replica } = await fresh();
      const result = await replica.applyRemote([pulled('notes', 'a', 7), pulled('notes', 'b', 9, { op: 'delete' })], {
        policy: 'last-write-wins',
        cursor: { peer: PEER, from: 0, to: 12 },
      });
      expect(result).toEqual({ applied: 2, conflicts: [] });
      expect(await replica.get('notes', 'a')).toMatchObject({ value: { v: 7 }, version: 7, source: OTHER_REPLICA });
      expect(await replica.get('notes', 'b')).toBeUndefined();
      expect(await replica.pullCursor(PEER)).toBe(12);
      expect(await replica.pendingCount()).toBe(0);
      expect(await replica.pendingChanges(10)).toEqual([]);
    });

    it('moves the cursor even for a batch with no changes', async () => {
      const { replica } = await fresh();
      await replica.applyRemote([], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 30 } });
      expect(await replica.pullCursor(PEER)).toBe(30);
    });

    it('bases later local changes on the last cursor applied', async () => {
      const { replica } = await fresh();
      await replica.applyRemote([pulled('c', 'x', 5)], { policy: 'server-wins', cursor: { peer: PEER, from: 0, to: 5 } });
      await replica.put('c', 'y', 1);
      expect((await replica.pendingChanges(1))[0]?.baseVersion).toBe(5);
    });

    it('refuses a batch pulled from a stale cursor and changes nothing', async () => {
      const { replica } = await fresh();
      await replica.applyRemote([pulled('c', 'a', 3, { value: 'first' })], {
        policy: 'last-write-wins',
        cursor: { peer: PEER, from: 0, to: 3 },
      });
      const events: ChangeEvent[] = [];
      replica.subscribe((e) => events.push(e));
      const code = await failureCode(
        replica.applyRemote([pulled('c', 'a', 3, { value: 'late' }), pulled('c', 'b', 4)], {
          policy: 'last-write-wins',
          cursor: { peer: PEER, from: 0, to: 4 },
        }),
      );
      expect(code).toBe('CONFLICT');
      expect((await replica.get('c', 'a'))?.value).toBe('first');
      expect(await replica.get('c', 'b')).toBeUndefined();
      expect(await replica.pullCursor(PEER)).toBe(3);
      expect(events).toEqual([]);
    });

    it('refuses a batch asked before a push was acknowledged, and changes nothing', async () => {
      const { replica } = await fresh();
      await replica.put('c', 'a', 'mine');
      const acked = await replica.pushCursor(PEER);
      // The pull is asked here; the push is acknowledged before its answer is applied.
      await replica.acknowledge(PEER, 1, replica.instanceId);
      const late = { peer: PEER, from: 0, to: 4, acked };
      expect(await failureCode(replica.applyRemote([pulled('c', 'a', 3, { value: 'older' })], { policy: 'server-wins', cursor: late }))).toBe('CONFLICT');
      expect(await failureCode(replica.applyRemote([pulled('c', 'a', 3, { value: 'older' })], { policy: 'last-write-wins', cursor: late }))).toBe('CONFLICT');
      expect((await replica.get('c', 'a'))?.value).toBe('mine');
      expect(await replica.pullCursor(PEER)).toBe(0);
      // Asked after the acknowledgement, the answer has seen the push: it applies.
      await replica.applyRemote([pulled('c', 'b', 5)], { policy: 'server-wins', cursor: { ...late, to: 5, acked: await replica.pushCursor(PEER) } });
      expect(await replica.pullCursor(PEER)).toBe(5);
    });

    it('keeps pull cursors per peer', async () => {
      const { replica } = await fresh();
      await replica.applyRemote([], { policy: 'last-write-wins', cursor: { peer: 'a', from: 0, to: 10 } });
      await replica.applyRemote([], { policy: 'last-write-wins', cursor: { peer: 'b', from: 0, to: 20 } });
      expect([await replica.pullCursor('a'), await replica.pullCursor('b')]).toEqual([10, 20]);
    });

    it('last-write-wins: keeps a pending local change that is later than the incoming one', async () => {
      const { replica } = await fresh();
      await replica.put('c', 'a', 'mine');
      const result = await replica.applyRemote([pulled('c', 'a', 2, { value: 'theirs', wallMs: 1_000 })], {
        policy: 'last-write-wins',
        cursor: { peer: PEER, from: 0, to: 2 },
      });
      expect(result.applied).toBe(0);
      expect(result.conflicts).toHaveLength(1);
      expect(result.conflicts[0]).toMatchObject({ collective: 'c', id: 'a', winner: 'local', local: { op: 'put', value: 'mine' } });
      expect((await replica.get('c', 'a'))?.value).toBe('mine');
      expect(await replica.pendingCount()).toBe(1);
      expect(await replica.pullCursor(PEER)).toBe(2);
    });

    it('last-write-wins: takes an incoming change that is later than the pending local one', async () => {
      const { replica } = await fresh();
      await replica.put('c', 'a', 'mine');
      const future = Date.now() + 60_000;
      const result = await replica.applyRemote([pulled('c', 'a', 2, { value: 'theirs', wallMs: future })], {
        policy: 'last-write-wins',
        cursor: { peer: PEER, from: 0, to: 2 },
      });
      expect(result.applied).toBe(1);
      expect(result.conflicts).toMatchObject([{ id: 'a', winner: 'remote', remote: { value: 'theirs' } }]);
      expect((await replica.get('c', 'a'))?.value).toBe('theirs');
    });

    it('last-write-wins: compares with the latest pending change of the record', async () => {
      const { replica } = await fresh();
      await replica.put('c', 'a', 'first');
      await replica.delete('c', 'a');
      const result = await replica.applyRemote([pulled('c', 'a', 2, { wallMs: 1_000 })], {
        policy: 'last-write-wins',
        cursor: { peer: PEER, from: 0, to: 2 },
      });
      expect(result.conflicts).toMatchObject([{ winner: 'local', local: { op: 'delete' } }]);
      expect(await replica.get('c', 'a')).toBeUndefined();
    });

    it('last-write-wins: a record whose local change was acknowledged takes the server state', async () => {
      const { replica } = await fresh();
      await replica.put('c', 'a', 'mine');
      await replica.acknowledge(PEER, 1);
      const result = await replica.applyRemote([pulled('c', 'a', 2, { value: 'server', wallMs: 1_000 })], {
        policy: 'last-write-wins',
        cursor: { peer: PEER, from: 0, to: 2 },
      });
      expect(result).toEqual({ applied: 1, conflicts: [] });
      expect((await replica.get('c', 'a'))?.value).toBe('server');
    });

    it('server-wins: overwrites a pending local change', async () => {
      const { replica } = await fresh();
      await replica.put('c', 'a', 'mine');
      const result = await replica.applyRemote([pulled('c', 'a', 2, { value: 'server', wallMs: 1_000 })], {
        policy: 'server-wins',
        cursor: { peer: PEER, from: 0, to: 2 },
      });
      expect(result).toEqual({ applied: 1, conflicts: [] });
      expect(await replica.get('c', 'a')).toMatchObject({ value: 'server', version: 2 });
    });

    it('stamps a local write after a remote change from a clock running ahead, within the drift bound', async () => {
      const { replica } = await fresh();
      const ahead = Date.now() + 4 * 60_000;
      const incoming = pulled('c', 'a', 1, { wallMs: ahead });
      await replica.applyRemote([incoming], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 1 } });
      await replica.put('c', 'b', 'after');
      const [change] = await replica.pendingChanges(1);
      expect(change!.hlc > incoming.hlc).toBe(true);
      expect((await replica.get('c', 'b'))!.hlc).toBe(change!.hlc);
    });

    it('survives a reopen with the clock it had seen', async () => {
      const { replica, reopen } = await fresh();
      const ahead = Date.now() + 4 * 60_000;
      const incoming = pulled('c', 'a', 1, { wallMs: ahead });
      await replica.applyRemote([incoming], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 1 } });
      replica.close();
      const again = await reopen();
      await again.put('c', 'b', 'after');
      expect((await again.pendingChanges(1))[0]!.hlc > incoming.hlc).toBe(true);
    });

    it('applies a change whose clock is beyond the drift bound without adopting that clock, even after a reopen', async () => {
      const { replica, reopen } = await fresh();
      const poison = { ...pulled('c', 'a', 1), hlc: '999999999999999:999999:zzzz' };
      const farFuture = pulled('c', 'f', 2, { wallMs: Date.now() + 10 * 365 * 24 * 3600 * 1000 });
      await replica.applyRemote([poison, farFuture], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 2 } });
      expect((await replica.get('c', 'a'))?.hlc).toBe(poison.hlc);
      await replica.put('c', 'b', 'after');
      replica.close();
      const again = await reopen();
      await again.put('c', 'd', 'after reopen');
      for (const change of await again.pendingChanges(10)) {
        expect(change.hlc < farFuture.hlc).toBe(true);
        expect(Number(change.hlc.slice(0, 15))).toBeLessThanOrEqual(Date.now() + 5 * 60_000);
      }
    });

    it('bounds the adopted clock by maxClockDriftMs when given', async () => {
      const { replica } = await fresh();
      const incoming = pulled('c', 'a', 1, { wallMs: Date.now() + 4 * 60_000 });
      await replica.applyRemote([incoming], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 1 }, maxClockDriftMs: 60_000 });
      await replica.put('c', 'b', 'after');
      expect((await replica.pendingChanges(1))[0]!.hlc < incoming.hlc).toBe(true);
    });
  });

  describe('applying server states outside the feed', () => {
    it('last-write-wins: writes only a state later than the one held, and leaves the cursor', async () => {
      const { replica } = await fresh();
      await replica.put('c', 'a', 'mine');
      const older = await replica.applyRemote([pulled('c', 'a', 5, { value: 'old', wallMs: 1_000 })], { policy: 'last-write-wins' });
      expect(older.applied).toBe(0);
      expect((await replica.get('c', 'a'))?.value).toBe('mine');

      const newer = await replica.applyRemote([pulled('c', 'a', 6, { value: 'new', wallMs: Date.now() + 60_000 })], {
        policy: 'last-write-wins',
      });
      expect(newer.applied).toBe(1);
      expect((await replica.get('c', 'a'))?.value).toBe('new');
      expect(await replica.pullCursor(PEER)).toBe(0);
      expect(await replica.pendingCount()).toBe(1);
    });

    it('server-wins: writes a higher server version, or over a local state', async () => {
      const { replica } = await fresh();
      await replica.put('c', 'local', 'mine');
      await replica.applyRemote([pulled('c', 'a', 5, { value: 'v5' })], { policy: 'server-wins', cursor: { peer: PEER, from: 0, to: 5 } });

      const stale = await replica.applyRemote([pulled('c', 'a', 3, { value: 'v3' })], { policy: 'server-wins' });
      expect(stale.applied).toBe(0);
      expect((await replica.get('c', 'a'))?.value).toBe('v5');

      const result = await replica.applyRemote(
        [pulled('c', 'a', 7, { value: 'v7' }), pulled('c', 'local', 6, { value: 'server', wallMs: 1_000 })],
        { policy: 'server-wins' },
      );
      expect(result.applied).toBe(2);
      expect((await replica.get('c', 'a'))?.value).toBe('v7');
      expect((await replica.get('c', 'local'))?.value).toBe('server');
      expect(await replica.pullCursor(PEER)).toBe(5);
    });

    it('writes a state for a record it never held', async () => {
      const { replica } = await fresh();
      const result = await replica.applyRemote([pulled('c', 'new', 2, { wallMs: 1_000 })], { policy: 'last-write-wins' });
      expect(result.applied).toBe(1);
      expect(await replica.get('c', 'new')).toMatchObject({ version: 2 });
    });
  });

  describe('change events', () => {
    it('tells subscribers about local writes and applied remote changes, after commit', async () => {
      const { replica } = await fresh();
      const events: ChangeEvent[] = [];
      const unsubscribe = replica.subscribe((event) => events.push(event));
      await replica.put('c', 'a', 1);
      expect(events).toEqual([{ source: 'local', changes: [{ collective: 'c', id: 'a', op: 'put', value: 1 }] }]);
      await replica.delete('c', 'a');
      await replica.applyRemote([pulled('c', 'b', 3, { value: 'x' })], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 3 } });
      expect(events.slice(1)).toEqual([
        { source: 'local', changes: [{ collective: 'c', id: 'a', op: 'delete' }] },
        { source: 'remote', changes: [{ collective: 'c', id: 'b', op: 'put', value: 'x' }] },
      ]);
      unsubscribe();
      await replica.put('c', 'a', 2);
      expect(events).toHaveLength(3);
    });

    it('fires nothing for a failed write', async () => {
      const { replica } = await fresh();
      const events: ChangeEvent[] = [];
      replica.subscribe((event) => events.push(event));
      await failureCode(replica.putMany([{ collective: 'c', id: '', value: 1 }]));
      expect(events).toEqual([]);
    });
  });

  describe('lifecycle', () => {
    it('fails every call with DATABASE_CLOSED after close()', async () => {
      const { replica } = await fresh();
      await replica.put('c', 'a', 1);
      replica.close();
      expect(await failureCode(replica.get('c', 'a'))).toBe('DATABASE_CLOSED');
      expect(await failureCode(replica.put('c', 'b', 1))).toBe('DATABASE_CLOSED');
      expect(await failureCode(replica.pendingChanges(1))).toBe('DATABASE_CLOSED');
      expect(await failureCode(replica.applyRemote([], { policy: 'last-write-wins' }))).toBe('DATABASE_CLOSED');
      expect(await failureCode(replica.putMany([]))).toBe('DATABASE_CLOSED');
    });

    it('keeps records, log and cursors across a reopen', async () => {
      const { replica, reopen } = await fresh();
      await replica.put('c', 'a', 1);
      await replica.applyRemote([pulled('c', 'b', 4)], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 4 } });
      replica.close();
      const again = await reopen();
      expect((await again.list('c')).map((r) => r.id)).toEqual(['a', 'b']);
      expect(await again.pendingCount()).toBe(1);
      expect(await again.pullCursor(PEER)).toBe(4);
    });
  });
}
