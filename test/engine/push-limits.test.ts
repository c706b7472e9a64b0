import { describe, expect, it } from 'vitest';
import type { SyncErrorData } from '../../src/protocol/errors.ts';
import type { PushRequest } from '../../src/protocol/types.ts';
import { createSyncServer } from '../../src/server/sync-server.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { connect, memoryTransport, newReplica, scriptedTransport } from './fixtures.ts';

describe('push against server limits', () => {
  it('splits a push the server finds too large, and reports and skips a change too large on its own', async () => {
    const store = memoryServerStore();
    const server = createSyncServer({ store, limits: { maxPushChanges: 3, maxValueBytes: 100 } });
    const { replica } = await newReplica();
    for (let i = 0; i < 5; i++) await replica.put('notes', `small-${i}`, { i });
    await replica.put('notes', 'huge', { text: 'x'.repeat(500) });
    for (let i = 5; i < 8; i++) await replica.put('notes', `small-${i}`, { i });
    const scripted = scriptedTransport(memoryTransport(server));
    const manager = connect(replica, scripted.transport, { batchSize: 8 });
    const errors: SyncErrorData[] = [];
    manager.on('error', (e) => errors.push(e));

    await manager.syncOnce();

    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { collective: 'notes', id: 'huge' } });
    expect(errors[0]?.message).toMatch(/notes\/huge .*stays here, unsynced/);
    expect(await replica.pendingCount()).toBe(0);
    expect((await replica.get('notes', 'huge'))?.value).toEqual({ text: 'x'.repeat(500) });
    const onServer = (await store.readChanges({ after: 0, limit: 100 })).rows.map((r) => r.id).sort();
    expect(onServer).toEqual(Array.from({ length: 8 }, (_, i) => `small-${i}`).sort());
    const pushes = scripted.callsOf('push').map((c) => (c.request as PushRequest).changes.map((ch) => ch.id));
    expect(pushes[0]).toHaveLength(8); // the whole log first, then halves
    expect(pushes.filter((ids) => ids.length === 1 && ids[0] === 'huge')).toHaveLength(1); // alone once, then skipped
    expect(pushes.length).toBeLessThanOrEqual(10); // a size that failed is not tried again
    expect(manager.status().state).toBe('idle');
  });
});
