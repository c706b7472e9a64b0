/**
 * server-wins with a custom resolver: a resolution is based on the server version it
 * was resolved against, so the server takes it and the resolver runs once per conflict
 * (again only if the record really moved again meanwhile).
 */
import { describe, expect, it } from 'vitest';
import type { ConflictInfo, ConflictResolver, SyncConfigInput } from '../../src/engine/types.ts';
import type { JsonValue } from '../../src/protocol/types.ts';
import { connect, memoryTransport, newReplica, newServer, until } from './fixtures.ts';

/** Joins both sides' text, and remembers the server value it was asked about each time. */
function joiningResolver() {
  const remotes: (JsonValue | undefined)[] = [];
  const resolver: ConflictResolver = ({ local, remote }) => {
    remotes.push(remote?.value);
    return { value: `${String(local.value)}+${String(remote?.value)}` };
  };
  return { resolver, remotes };
}

/** a wrote v1 and b holds it; then a wrote v2 and pushed it, b has not pulled it. */
async function staleB() {
  const { server } = newServer();
  const a = (await newReplica()).replica;
  const b = (await newReplica()).replica;
  const joining = joiningResolver();
  const config: SyncConfigInput = { conflictResolution: 'server-wins', resolver: joining.resolver };
  const syncA = connect(a, memoryTransport(server), config);
  await a.put('notes', 'x', 'v1');
  await syncA.syncOnce();
  await connect(b, memoryTransport(server), config).syncOnce();
  await a.put('notes', 'x', 'v2');
  await syncA.syncOnce();
  return { server, a, b, syncA, config, ...joining };
}

async function serverValue(server: ReturnType<typeof newServer>['server'], collective: string, id: string) {
  const feed = await server.handlePull({ instanceId: '00000000-0000-7000-8000-000000000000', cursor: 0, batchSize: 1000 });
  return feed.changes.find((c) => c.collective === collective && c.id === id)?.value;
}

describe('server-wins with a resolver', () => {
  it('runs the resolver once per conflict: the merge is based on the server version it merged with, and the server takes it', async () => {
    const { server, a, b, syncA, config, remotes } = await staleB();
    const syncB = connect(b, memoryTransport(server), config);
    const conflicts: ConflictInfo[] = [];
    syncB.on('conflict', (c) => conflicts.push(c));
    await b.put('notes', 'x', 'mine'); // based on v1
    await syncB.syncOnce();
    await syncB.syncOnce();
    await syncA.syncOnce();
    expect(remotes).toEqual(['v2']);
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({ policy: 'server-wins', outcome: 'merged', local: { value: 'mine' }, remote: { value: 'v2' } });
    expect(await serverValue(server, 'notes', 'x')).toBe('mine+v2');
    expect((await b.get('notes', 'x'))?.value).toBe('mine+v2');
    expect((await a.get('notes', 'x'))?.value).toBe('mine+v2');
    expect(await b.pendingCount()).toBe(0);
  });

  it('asks the resolver again only when the record moved again before the merge reached the server', async () => {
    const { server, a, b, syncA, config, remotes } = await staleB();
    const syncB = connect(b, memoryTransport(server), config);
    await b.put('notes', 'x', 'mine');
    await syncB.syncOnce(); // refused: merged with v2, written based on v2
    // a writes v3 before b's merge reaches the server.
    await a.put('notes', 'x', 'v3');
    await syncA.syncOnce();
    await syncB.syncOnce();
    await syncB.syncOnce();
    await syncA.syncOnce();
    expect(remotes).toEqual(['v2', 'v3']);
    expect(await serverValue(server, 'notes', 'x')).toBe('mine+v2+v3');
    expect((await b.get('notes', 'x'))?.value).toBe('mine+v2+v3');
    expect((await a.get('notes', 'x'))?.value).toBe('mine+v2+v3');
  });

  it('a push-only replica, which never pulls, gets its merge accepted too', async () => {
    const { server, a, b, syncA, config, remotes } = await staleB();
    const syncB = connect(b, memoryTransport(server), { ...config, direction: 'push-only' });
    await b.put('notes', 'x', 'mine');
    await syncB.syncOnce();
    await syncB.syncOnce();
    await syncA.syncOnce();
    expect(remotes).toEqual(['v2']);
    expect(await serverValue(server, 'notes', 'x')).toBe('mine+v2');
    expect((await b.get('notes', 'x'))?.value).toBe('mine+v2');
    expect((await a.get('notes', 'x'))?.value).toBe('mine+v2');
  });
});

/** server-wins without a resolver: the replica simply takes the server's record. */
const noResolver: SyncConfigInput = { conflictResolution: 'server-wins' };

describe('server-wins conflict events', () => {
  it("syncOnce: when the conflict event fires, the replica already holds the server's record", async () => {
    const { server, b } = await staleB();
    const syncB = connect(b, memoryTransport(server), noResolver);
    const heldAtEvent: Promise<JsonValue | undefined>[] = [];
    syncB.on('conflict', () => heldAtEvent.push(b.get('notes', 'x').then((r) => r?.value)));
    await b.put('notes', 'x', 'mine');
    await syncB.syncOnce();
    expect(heldAtEvent).toHaveLength(1);
    expect(await heldAtEvent[0]).toBe('v2');
  });

  it("background loop: a push that meets a conflict pulls before the event, so the replica holds the server's record", async () => {
    const { server, b } = await staleB();
    // Intervals far away: only the first runs of start() and the write's push request run.
    const syncB = connect(b, memoryTransport(server), { ...noResolver, pushIntervalMs: 3_600_000, pullIntervalMs: 3_600_000 });
    const heldAtEvent: Promise<JsonValue | undefined>[] = [];
    syncB.on('conflict', () => heldAtEvent.push(b.get('notes', 'x').then((r) => r?.value)));
    await b.put('notes', 'x', 'mine');
    try {
      await syncB.start();
      await until(() => heldAtEvent.length > 0, 'a conflict event');
      expect(await heldAtEvent[0]).toBe('v2');
    } finally {
      await syncB.stop();
    }
  });
});
