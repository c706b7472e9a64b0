import { describe, expect, it } from 'vitest';
import { ErrorCode, SyncError, type SyncErrorData } from '../../src/protocol/errors.ts';
import type { SyncStatus } from '../../src/protocol/types.ts';
import type { LocalStore } from '../../src/store/types.ts';
import { PendingCount } from '../../src/engine/pending-count.ts';
import { connect, memoryTransport, newReplica, newServer, scriptedTransport, settle, until } from './fixtures.ts';

/** Counts the replica's pendingCount() calls. */
function countCalls(replica: LocalStore): () => number {
  const count = replica.pendingCount.bind(replica);
  let calls = 0;
  replica.pendingCount = () => {
    calls += 1;
    return count();
  };
  return () => calls;
}

describe('sync status', () => {
  it('counts pending changes as they are written and pushed, and stamps lastSyncedAt from its clock', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const manager = connect(replica, memoryTransport(server), {}, { now: () => 1_700_000_000_000 });
    const statuses: SyncStatus[] = [];
    manager.on('status', (s) => statuses.push(s));
    expect(manager.status()).toEqual({ state: 'idle', running: false, pending: 0, lastSyncedAt: null });
    await replica.put('notes', 'a', 1);
    await replica.putMany([
      { collective: 'notes', id: 'b', value: 2 },
      { collective: 'notes', id: 'c', value: 3 },
    ]);
    await until(() => manager.status().pending === 3, 'three pending changes');
    expect(statuses.map((s) => s.pending)).toContain(3);
    await manager.syncOnce();
    expect(manager.status()).toEqual({ state: 'idle', running: false, pending: 0, lastSyncedAt: 1_700_000_000_000, cursors: { push: 3, pull: 3 } });
    expect(statuses.at(-1)).toEqual(manager.status());
    expect(statuses.some((s) => s.state === 'syncing' && s.pending === 3)).toBe(true);
  });

  it('counts pending changes a few times for a burst of writes, not once per write', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const counts = countCalls(replica);
    const manager = connect(replica, memoryTransport(server));
    await Promise.all(Array.from({ length: 50 }, (_, i) => replica.put('notes', `n${i}`, i)));
    await until(() => manager.status().pending === 50, 'fifty pending changes');
    expect(counts()).toBeLessThan(10);
  });

  it('a manager lent its host’s pending count counts nothing twice: a local write adds to the count, with no read', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const counts = countCalls(replica);
    const pendingCount = new PendingCount(replica);
    await pendingCount.refresh();
    const manager = connect(replica, memoryTransport(server), {}, { pendingCount });
    const before = counts();
    await replica.put('notes', 'a', 1);
    await until(() => manager.status().pending === 1, 'one pending change');
    await settle();
    expect(counts() - before).toBe(0);
    expect(pendingCount.value).toBe(1);
    pendingCount.close();
  });

  it('says error when the server refuses, disconnected when it cannot be reached, idle again after a success', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    const manager = connect(replica, scripted.transport);
    const errors: SyncErrorData[] = [];
    manager.on('error', (e) => errors.push(e));

    scripted.fail('pull', new SyncError(ErrorCode.UNAUTHORIZED, 'token expired'), 1);
    await expect(manager.syncOnce()).rejects.toMatchObject({ code: ErrorCode.UNAUTHORIZED });
    expect(manager.status()).toMatchObject({ state: 'error', error: { code: 'UNAUTHORIZED', message: 'token expired' }, lastSyncedAt: null });

    scripted.fail('pull', new SyncError(ErrorCode.TRANSPORT, 'connection refused'), 1);
    await expect(manager.syncOnce()).rejects.toMatchObject({ code: ErrorCode.TRANSPORT });
    expect(manager.status()).toMatchObject({ state: 'disconnected', error: { code: 'TRANSPORT' } });
    expect(errors.map((e) => e.code)).toEqual(['UNAUTHORIZED', 'TRANSPORT']);

    await manager.syncOnce();
    expect(manager.status().state).toBe('idle');
    expect(manager.status().error).toBeUndefined();
    expect(manager.status().lastSyncedAt).not.toBeNull();
  });

  it('is disconnected while offline, whatever happened before, and stops reporting after stop()', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const manager = connect(replica, memoryTransport(server), { pushIntervalMs: 60_000, pullIntervalMs: 60_000 });
    await manager.start();
    await until(() => manager.status().state === 'idle', 'the first cycles');
    manager.setOnline(false);
    expect(manager.status()).toMatchObject({ state: 'disconnected', running: true });
    manager.setOnline(true);
    await until(() => manager.status().state === 'idle', 'back online');
    await manager.stop();
    const after: SyncStatus[] = [];
    manager.on('status', (s) => after.push(s));
    await replica.put('notes', 'late', 1);
    await settle();
    expect(manager.status()).toMatchObject({ state: 'idle', running: false });
    expect(after).toEqual([]);
  });
});
