import { describe, expect, it } from 'vitest';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import { PROTOCOL_VERSION, type JsonValue } from '../../src/protocol/types.ts';
import { collectiveAccess } from '../../src/server/access.ts';
import { createSyncServer } from '../../src/server/sync-server.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { openReplica } from '../../src/store/idb-replica.ts';
import { manualClock } from '../../src/testing/manual-clock.ts';
import { memoryTransport } from '../../src/transport/memory-transport.ts';

async function setup() {
  const server = createSyncServer({ store: memoryServerStore() });
  const replica = await openReplica({ name: 'mt', indexedDB: new IDBFactory(), IDBKeyRange });
  return { server, replica, transport: memoryTransport(server) };
}

describe('memory transport', () => {
  it('copies requests: changing one after sending does not change what the server stored', async () => {
    const { replica, transport } = await setup();
    await replica.put('notes', 'a', { text: 'original' });
    const changes = await replica.pendingChanges(10);
    const request = { instanceId: replica.instanceId, policy: 'last-write-wins' as const, changes };
    await transport.push(request);
    (changes[0]?.value as { text: string }).text = 'mutated';
    const pulled = await transport.pull({ instanceId: '00000000-0000-7000-8000-000000000000', cursor: 0, batchSize: 10 });
    expect(pulled.changes[0]?.value).toEqual({ text: 'original' });
  });

  it('copies responses: changing one does not change the server', async () => {
    const { replica, transport } = await setup();
    await replica.put('notes', 'a', { text: 'original' });
    await transport.push({ instanceId: replica.instanceId, policy: 'last-write-wins', changes: await replica.pendingChanges(10) });
    const reader = '00000000-0000-7000-8000-000000000000';
    const first = await transport.pull({ instanceId: reader, cursor: 0, batchSize: 10 });
    (first.changes[0]?.value as { [k: string]: JsonValue })['text'] = 'mutated';
    const second = await transport.pull({ instanceId: reader, cursor: 0, batchSize: 10 });
    expect(second.changes[0]?.value).toEqual({ text: 'original' });
    expect(second.changes[0]).not.toBe(first.changes[0]);
  });

  it("rethrows the server's SyncError as a fresh one with the same code, message and details", async () => {
    const { transport } = await setup();
    const failure = await transport.pull({ instanceId: 'not-a-uuid', cursor: 0, batchSize: 10 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SyncError);
    expect((failure as SyncError).code).toBe(ErrorCode.INVALID_PAYLOAD);
    expect((failure as SyncError).message).toMatch(/instanceId/);
  });

  it('answers a handshake and health through the server', async () => {
    const { replica, transport } = await setup();
    const hello = await transport.handshake({ instanceId: replica.instanceId, protocolVersion: PROTOCOL_VERSION, capabilities: [] });
    expect(hello.accepted).toBe(true);
    expect((await transport.health()).serverId).toBe(hello.serverId);
  });

  it('pokes live listeners after a push commits, and stops when closed', async () => {
    const { replica, transport } = await setup();
    const states: boolean[] = [];
    let pokes = 0;
    const close = transport.live?.({ onPoke: () => void (pokes += 1), onState: (connected) => states.push(connected) });
    expect(close).toBeTypeOf('function');
    expect(states).toEqual([true]);
    await replica.put('notes', 'a', 1);
    await transport.push({ instanceId: replica.instanceId, policy: 'last-write-wins', changes: await replica.pendingChanges(10) });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(pokes).toBe(1);
    close?.();
    await replica.put('notes', 'b', 2);
    await transport.push({ instanceId: replica.instanceId, policy: 'last-write-wins', changes: (await replica.pendingChanges(10)).slice(1) });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(pokes).toBe(1);
  });

  it("passes the caller's access to the live channel: no poke for writes it may not read", async () => {
    const { server, replica } = await setup();
    let pokes = 0;
    const reader = collectiveAccess('reader', { read: ['public'], write: [] });
    const close = memoryTransport(server, { access: reader }).live?.({ onPoke: () => void (pokes += 1) });
    await replica.put('private', 'a', 1);
    await server.handlePush({ instanceId: replica.instanceId, policy: 'last-write-wins', changes: await replica.pendingChanges(10) });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(pokes).toBe(0);
    await replica.put('public', 'b', 2);
    await server.handlePush({ instanceId: replica.instanceId, policy: 'last-write-wins', changes: (await replica.pendingChanges(10)).slice(1) });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(pokes).toBe(1);
    close?.();
  });

  it('times a call only when given a timeoutMs, and clears the timer once answered', async () => {
    const clock = manualClock();
    const server = createSyncServer({ store: memoryServerStore() });
    const timersDuringCalls: number[][] = [];
    const watched = {
      ...server,
      handleHealth: async (body: unknown) => {
        await Promise.resolve(); // the server at work, after the call has begun
        timersDuringCalls.push(clock.pending());
        return server.handleHealth(body);
      },
    };
    await memoryTransport(watched, { timers: clock }).health();
    await memoryTransport(watched, { timers: clock, timeoutMs: 50 }).health();
    expect(timersDuringCalls).toEqual([[], [50]]);
    expect(clock.pending()).toEqual([]);
  });

  it('offers no live channel when asked not to', async () => {
    const server = createSyncServer({ store: memoryServerStore() });
    expect(memoryTransport(server, { live: false }).live).toBeUndefined();
  });
});
