/**
 * A client reset never loops: a server that refuses every pull resets the replica
 * once per cause, then the run fails with the refusal's code and a `failed` reset event;
 * a refusal for a new cause resets again, but in the next run. And a known gap of
 * server-wins with tombstone gc, kept visible.
 */
import { describe, expect, it } from 'vitest';
import { SyncManager } from '../../src/engine/sync-manager.ts';
import type { ResetEvent } from '../../src/engine/types.ts';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import { collectiveAccess, fullAccess } from '../../src/server/access.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { createSyncServer } from '../../src/server/sync-server.ts';
import { memoryDatabases, memoryReplica } from '../../src/store/memory-replica.ts';
import { memoryTransport } from '../../src/transport/memory-transport.ts';

describe('client reset', () => {
  it('resets once for a refusal, then fails with its code when the same refusal comes again', async () => {
    const inner = memoryTransport(createSyncServer({ store: memoryServerStore() }));
    let pulls = 0;
    const transport = {
      ...inner,
      pull: async (request: { cursor: number }) => {
        pulls += 1;
        throw new SyncError(ErrorCode.CURSOR_AHEAD, 'restored server', { details: { cursor: request.cursor } });
      },
    };
    const replica = await memoryReplica({ name: 'refused', databases: memoryDatabases() });
    await replica.put('notes', 'a', 1);
    const first = replica.instanceId;
    const manager = new SyncManager(replica, transport);
    const events: ResetEvent[] = [];
    manager.on('reset', (event) => events.push(event));
    await expect(manager.syncOnce()).rejects.toMatchObject({ code: ErrorCode.CURSOR_AHEAD });
    expect(events).toEqual([
      { cause: 'cursor-ahead', phase: 'started', instanceId: first },
      { cause: 'cursor-ahead', phase: 'failed', instanceId: first },
    ]);
    expect(pulls).toBe(2);
    expect(replica.instanceId).toBe(first); // a reset keeps the identity (and every receipt)
    expect(await replica.pendingCount()).toBe(0); // the write was pushed before the pull
    expect(manager.status().error?.code).toBe(ErrorCode.CURSOR_AHEAD);
    await manager.stop();
  });

  it('resets again for a new cause (the server swept more while the snapshot was cut short), in the next run only', async () => {
    const inner = memoryTransport(createSyncServer({ store: memoryServerStore() }));
    let floor = 5;
    const transport = {
      ...inner,
      pull: async (request: { cursor: number }) => {
        throw new SyncError(ErrorCode.CURSOR_EXPIRED, 'swept', { details: { cursor: request.cursor, floor } });
      },
    };
    const replica = await memoryReplica({ name: 'swept-twice', databases: memoryDatabases() });
    const manager = new SyncManager(replica, transport);
    const events: ResetEvent[] = [];
    manager.on('reset', (event) => events.push(event));
    await expect(manager.syncOnce()).rejects.toMatchObject({ code: ErrorCode.CURSOR_EXPIRED });
    floor = 9; // a new cause: one more reset, then the same refusal again fails it
    await expect(manager.syncOnce()).rejects.toMatchObject({ code: ErrorCode.CURSOR_EXPIRED });
    expect(events.map((e) => ('phase' in e ? e.phase : e.cause))).toEqual(['started', 'failed', 'started', 'failed']);
    await manager.stop();
  });

  it('resets at most once in one run, whatever new causes a server makes up', async () => {
    const inner = memoryTransport(createSyncServer({ store: memoryServerStore() }));
    let floor = 0;
    const transport = {
      ...inner,
      pull: async (request: { cursor: number }) => {
        floor += 1; // a new floor with every answer
        throw new SyncError(ErrorCode.CURSOR_AHEAD, 'another data set', { details: { cursor: request.cursor, latest: floor } });
      },
    };
    const replica = await memoryReplica({ name: 'made-up', databases: memoryDatabases() });
    const manager = new SyncManager(replica, transport);
    const events: ResetEvent[] = [];
    manager.on('reset', (event) => events.push(event));
    await expect(manager.syncOnce()).rejects.toMatchObject({ code: ErrorCode.CURSOR_AHEAD });
    expect(floor).toBe(2);
    expect(events).toHaveLength(1);
    await manager.stop();
  });

  it('keeps its own writes in a collective its user may write but not read, and drops what a swept delete removed', async () => {
    let now = Date.now();
    const server = createSyncServer({ store: memoryServerStore(), now: () => now, tombstoneHorizonMs: 1_000, gcIntervalMs: 0 });
    const databases = memoryDatabases();
    const bob = await memoryReplica({ name: 'bob', databases, now: () => now });
    const admin = await memoryReplica({ name: 'admin', databases, now: () => now });
    const access = collectiveAccess('bob', { read: ['notes'], write: ['notes', 'inbox'] });
    const [mine, theirs] = [new SyncManager(bob, memoryTransport(server, { access })), new SyncManager(admin, memoryTransport(server, { access: fullAccess('admin') }))];
    await admin.put('notes', 'gone', 1);
    await theirs.syncOnce();
    await bob.put('inbox', 'letter', 'hi'); // the server never serves it back to bob
    await bob.put('notes', 'mine', 2);
    await mine.syncOnce();
    expect((await bob.get('notes', 'gone'))?.value).toBe(1);
    await admin.delete('notes', 'gone');
    await admin.put('notes', 'later', 3);
    await theirs.syncOnce();
    await server.collectGarbage();
    now += 2_000;
    expect((await server.collectGarbage()).removed).toBe(1);
    const events: ResetEvent[] = [];
    mine.on('reset', (event) => events.push(event));
    await mine.syncOnce(); // CURSOR_EXPIRED, then a snapshot of notes only
    expect(events.map((e) => ('phase' in e ? e.phase : e.cause))).toEqual(['started', 'done']);
    expect(await bob.get('notes', 'gone')).toBeUndefined();
    expect((await bob.get('inbox', 'letter'))?.value).toBe('hi');
    expect((await bob.get('notes', 'mine'))?.value).toBe(2);
    expect((await bob.get('notes', 'later'))?.value).toBe(3);
    await Promise.all([mine.stop(), theirs.stop()]);
  });

  /**
   * Known gap, kept visible (`it.fails` turns red once fixed). A pull takes the server's
   * tombstone over a pending write at once (server-wins: the server will refuse the
   * write as stale; last-write-wins: the delete is newer), so that a lost push answer
   * cannot leave the replica without it. When gc removes that tombstone before the push,
   * nothing is left to refuse the write: the server takes it, but the replica, which gave
   * it up, never sees it again (its own row, hidden from its feed as its echo). The
   * chaos suite therefore pushes before it pulls; runs that pull alone hit this in about
   * 1 seed of 100 (server-wins) and 1 of 1,000 (last-write-wins).
   */
  for (const policy of ['server-wins', 'last-write-wins'] as const) {
    it.fails(`${policy}: a write a pull gave up for a tombstone that gc then removed is not lost on the replica`, async () => {
      let now = Date.now();
      const server = createSyncServer({ store: memoryServerStore(), now: () => now, tombstoneHorizonMs: 1_000, gcIntervalMs: 0 });
      const databases = memoryDatabases();
      const config = { conflictResolution: policy } as const;
      const mine = await memoryReplica({ name: 'mine', databases, now: () => now });
      const theirs = await memoryReplica({ name: 'theirs', databases, now: () => now });
      const [me, they] = [new SyncManager(mine, memoryTransport(server), config), new SyncManager(theirs, memoryTransport(server), config)];
      await theirs.put('notes', 'x', 'theirs');
      await they.syncOnce();
      await me.syncOnce();
      await mine.put('notes', 'x', 'mine'); // based on the version before the delete, and older than it
      now += 1;
      await theirs.delete('notes', 'x');
      await they.syncOnce();
      await me.initialSync(); // a pull alone takes the tombstone over the pending write
      await server.collectGarbage();
      now += 2_000;
      expect((await server.collectGarbage()).removed).toBe(1);
      await me.syncOnce(); // the server takes the write: no row is left to refuse it
      await they.syncOnce();
      expect((await theirs.get('notes', 'x'))?.value).toBe('mine');
      expect((await mine.get('notes', 'x'))?.value).toBe('mine');
      await Promise.all([me.stop(), they.stop()]);
    });
  }
});
