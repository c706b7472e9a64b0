import { describe, expect, it } from 'vitest';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import type { SyncStatus } from '../../src/protocol/types.ts';
import { connect, memoryTransport, newReplica, newServer, scriptedTransport, settle, until } from './fixtures.ts';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof SyncError ? error.code : `not a SyncError: ${String(error)}`;
  }
  return 'resolved';
}

/** A manager whose first handshake waits until `release()`. */
async function heldAtHandshake() {
  const { server } = newServer();
  const { replica } = await newReplica();
  const scripted = scriptedTransport(memoryTransport(server));
  const release = scripted.hold('handshake');
  return { replica, scripted, release, manager: connect(replica, scripted.transport) };
}

describe('SyncManager lifecycle', () => {
  it('fails HANDSHAKE_REJECTED with the server reason when the server refuses', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const transport = memoryTransport(server);
    transport.handshake = async (request) => ({
      accepted: false,
      reason: 'this server is read-only for maintenance',
      protocolVersion: request.protocolVersion,
      serverId: 'srv',
      capabilities: [],
    });
    const manager = connect(replica, transport);
    const failure = await manager.start().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SyncError);
    expect((failure as SyncError).code).toBe(ErrorCode.HANDSHAKE_REJECTED);
    expect((failure as SyncError).message).toContain('read-only for maintenance');
    expect(manager.status()).toMatchObject({ state: 'error', running: false, error: { code: 'HANDSHAKE_REJECTED' } });
  });

  it('fails PROTOCOL_VERSION when the server speaks another version', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const transport = memoryTransport(server);
    transport.handshake = async () => ({ accepted: false, reason: 'version', protocolVersion: 99, serverId: 'srv', capabilities: [] });
    const manager = connect(replica, transport);
    expect(await codeOf(manager.start())).toBe(ErrorCode.PROTOCOL_VERSION);
    expect(await codeOf(manager.syncOnce())).toBe(ErrorCode.PROTOCOL_VERSION);
  });

  it('offline at start: start() resolves at once without a request; back online it shakes hands and syncs', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    const manager = connect(replica, scripted.transport, { pushIntervalMs: 60_000, pullIntervalMs: 60_000 });
    manager.setOnline(false);
    await manager.start();
    expect(manager.status()).toMatchObject({ state: 'disconnected', running: true });
    await replica.put('notes', 'offline', 1);
    await settle();
    expect(scripted.calls).toHaveLength(0);
    manager.setOnline(true);
    await until(() => manager.status().pending === 0 && manager.status().state === 'idle', 'the offline write pushed');
    expect(scripted.calls.map((c) => c.op).slice(0, 2)).toEqual(['handshake', 'push']);
    await manager.stop();
  });

  it('a syncOnce that gets through while the handshake waits out a backoff starts the loops at once', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    scripted.fail('handshake', new SyncError(ErrorCode.TRANSPORT, 'down'), 1);
    const manager = connect(replica, scripted.transport, { retry: { initialDelayMs: 600_000, maxDelayMs: 600_000 } });
    await manager.start();
    expect(manager.status().retry?.nextDelayMs).toBe(600_000);
    await manager.syncOnce(); // shakes hands: the server is back
    await replica.put('notes', 'a', 1);
    await until(() => scripted.callsOf('push').length === 1, 'a background push for the write, long before the backoff ends');
    await until(() => manager.status().pending === 0, 'the write acknowledged');
    await manager.stop();
  });

  it('refuses a second start with ALREADY_STARTED', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const manager = connect(replica, memoryTransport(server));
    await manager.start();
    expect(await codeOf(manager.start())).toBe(ErrorCode.ALREADY_STARTED);
    await manager.stop();
  });

  it('refuses a start while the first is still shaking hands', async () => {
    const { release, manager } = await heldAtHandshake();
    const first = manager.start();
    expect(await codeOf(manager.start())).toBe(ErrorCode.ALREADY_STARTED);
    release();
    await first;
    await manager.stop();
  });

  it('stop during the handshake of start: start fails SHUTDOWN and nothing runs', async () => {
    const { replica, scripted, release, manager } = await heldAtHandshake();
    const starting = manager.start();
    await settle();
    const stopping = manager.stop();
    release();
    expect(await codeOf(starting)).toBe(ErrorCode.SHUTDOWN);
    await stopping;
    await replica.put('notes', 'a', 1);
    await settle();
    expect(scripted.callsOf('push')).toHaveLength(0);
    expect(scripted.callsOf('pull')).toHaveLength(0);
    expect(manager.status()).toMatchObject({ state: 'idle', running: false });
  });

  it('stop waits for the cycle in flight, then reports idle and not running', async () => {
    const { server, store } = newServer();
    const { replica } = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    const manager = connect(replica, scripted.transport, { direction: 'push-only' });
    await replica.put('notes', 'a', { text: 'hello' });
    const release = scripted.hold('push');
    const syncing = manager.syncOnce();
    await settle();
    expect(scripted.callsOf('push')).toHaveLength(1);
    let stopped = false;
    const stopping = manager.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    release();
    await stopping;
    await expect(syncing).resolves.toBeUndefined(); // the cycle stop waited for ended well
    expect(await store.latestVersion()).toBe(1); // the push in flight completed
    expect(await replica.pendingCount()).toBe(0); // and was acknowledged before stop returned
    expect(manager.status()).toMatchObject({ state: 'idle', running: false });
  });

  it('stop waits for a background push in flight', async () => {
    const { server, store } = newServer();
    const { replica } = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    const manager = connect(replica, scripted.transport, { direction: 'push-only', pushIntervalMs: 60_000 });
    await manager.start();
    await until(() => manager.status().state === 'idle', 'the first cycle');
    const release = scripted.hold('push');
    await replica.put('notes', 'a', 1); // asks the push loop to run now
    await until(() => scripted.callsOf('push').length === 1, 'the background push');
    let stopped = false;
    const stopping = manager.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    expect(manager.status().running).toBe(false);
    release();
    await stopping;
    expect(await store.latestVersion()).toBe(1);
    expect(await replica.pendingCount()).toBe(0);
    expect(manager.status()).toMatchObject({ state: 'idle', running: false });
  });

  it('is safe to stop twice, and calls needing the network then fail SHUTDOWN', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const manager = connect(replica, memoryTransport(server));
    await manager.start();
    await manager.stop();
    await manager.stop();
    expect(manager.status()).toMatchObject({ state: 'idle', running: false });
    expect(await codeOf(manager.syncOnce())).toBe(ErrorCode.SHUTDOWN);
    expect(await codeOf(manager.initialSync())).toBe(ErrorCode.SHUTDOWN);
    expect(await codeOf(manager.start())).toBe(ErrorCode.SHUTDOWN);
  });

  it('syncOnce works before start, shaking hands first', async () => {
    const { server } = newServer();
    const a = await newReplica();
    const b = await newReplica();
    await a.replica.put('notes', 'n1', { text: 'from a' });
    const scripted = scriptedTransport(memoryTransport(server));
    await connect(a.replica, scripted.transport).syncOnce();
    expect(scripted.calls.map((c) => c.op).slice(0, 2)).toEqual(['handshake', 'push']);
    await connect(b.replica, memoryTransport(server)).syncOnce();
    expect((await b.replica.get('notes', 'n1'))?.value).toEqual({ text: 'from a' });
  });

  it('syncOnce works after start without overlapping a background cycle', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    const manager = connect(replica, scripted.transport, { pushIntervalMs: 60_000, pullIntervalMs: 60_000 });
    let inFlight = 0;
    let most = 0;
    const inner = scripted.transport.pull;
    scripted.transport.pull = async (request) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      try {
        await settle(5);
        return await inner(request);
      } finally {
        inFlight -= 1;
      }
    };
    await manager.start();
    await Promise.all([manager.syncOnce(), manager.syncOnce()]);
    await replica.put('notes', 'x', 1);
    await manager.syncOnce();
    expect(most).toBe(1);
    expect(await replica.pendingCount()).toBe(0);
    await manager.stop();
  });

  it('reports every status change as an event and forwards store changes', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const manager = connect(replica, memoryTransport(server));
    const states: SyncStatus['state'][] = [];
    const changes: string[] = [];
    manager.on('status', (s) => states.push(s.state));
    const off = manager.on('change', (e) => changes.push(`${e.source}:${e.changes.map((c) => c.id).join(',')}`));
    await replica.put('notes', 'a', 1);
    await manager.syncOnce();
    off();
    await replica.put('notes', 'b', 2);
    await settle();
    expect(states).toContain('syncing');
    expect(states.at(-1)).toBe('idle');
    expect(changes).toEqual(['local:a']);
    expect(manager.status().lastSyncedAt).not.toBeNull();
  });
});
