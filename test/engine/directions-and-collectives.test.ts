import { describe, expect, it } from 'vitest';
import type { PullRequest, PushRequest } from '../../src/protocol/types.ts';
import { connect, memoryTransport, newReplica, newServer, scriptedTransport } from './fixtures.ts';

/** A server holding another replica's record, and a replica with a write of its own. */
async function theirsOnServerMineLocal() {
  const { server } = newServer();
  const other = await newReplica();
  await other.replica.put('notes', 'theirs', 1);
  await connect(other.replica, memoryTransport(server)).syncOnce();
  const { replica } = await newReplica();
  await replica.put('notes', 'mine', 2);
  return { replica, scripted: scriptedTransport(memoryTransport(server)) };
}

describe('sync directions', () => {
  it('push-only sends local changes and never pulls', async () => {
    const { replica, scripted } = await theirsOnServerMineLocal();
    await connect(replica, scripted.transport, { direction: 'push-only' }).syncOnce();
    expect(scripted.callsOf('pull')).toHaveLength(0);
    expect(scripted.callsOf('push')).toHaveLength(1);
    expect(await replica.get('notes', 'theirs')).toBeUndefined();
  });

  it('pull-only receives changes and never pushes', async () => {
    const { replica, scripted } = await theirsOnServerMineLocal();
    await connect(replica, scripted.transport, { direction: 'pull-only' }).syncOnce();
    expect(scripted.callsOf('push')).toHaveLength(0);
    expect((await replica.get('notes', 'theirs'))?.value).toBe(1);
    expect(await replica.pendingCount()).toBe(1); // kept for when it may push
  });

  it('bidirectional does both', async () => {
    const { replica, scripted } = await theirsOnServerMineLocal();
    await connect(replica, scripted.transport).syncOnce();
    expect(scripted.callsOf('push')).toHaveLength(1);
    expect((await replica.get('notes', 'theirs'))?.value).toBe(1);
    expect(await replica.pendingCount()).toBe(0);
  });
});

describe('collective filter', () => {
  it('pushes only filtered collectives; changes to others stay local and leave the log', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    await replica.put('notes', 'n', 1);
    await replica.put('drafts', 'd', 2);
    await replica.put('notes', 'm', 3);
    const scripted = scriptedTransport(memoryTransport(server));
    await connect(replica, scripted.transport, { collectives: ['notes'] }).syncOnce();
    const sent = scripted.callsOf('push').flatMap((c) => (c.request as PushRequest).changes.map((ch) => `${ch.collective}/${ch.id}`));
    expect(sent).toEqual(['notes/n', 'notes/m']);
    expect(await replica.pendingCount()).toBe(0);
    const reader = await newReplica();
    await connect(reader.replica, memoryTransport(server)).syncOnce();
    expect(await reader.replica.list('drafts')).toEqual([]);
    expect((await reader.replica.list('notes')).map((r) => r.id)).toEqual(['m', 'n']);
  });

  it('pulls only filtered collectives, with a cursor of its own per filter', async () => {
    const { server } = newServer();
    const writer = await newReplica();
    await writer.replica.put('notes', 'n', 1);
    await writer.replica.put('todos', 't', 2);
    await connect(writer.replica, memoryTransport(server)).syncOnce();
    const { replica } = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    await connect(replica, scripted.transport, { collectives: ['notes'] }).syncOnce();
    expect((scripted.callsOf('pull')[0]?.request as PullRequest).collectives).toEqual(['notes']);
    expect(await replica.list('todos')).toEqual([]);
    expect(await replica.list('notes')).toHaveLength(1);
    // Widening the filter must not reuse the cursor that skipped `todos`.
    await connect(replica, memoryTransport(server), { collectives: ['notes', 'todos'] }).syncOnce();
    expect((await replica.list('todos')).map((r) => r.value)).toEqual([2]);
  });
});
