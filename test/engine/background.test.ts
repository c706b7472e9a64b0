import { POKE_PULL_GAP_MS } from '../../src/engine/background-loops.ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import type { SyncStatus } from '../../src/protocol/types.ts';
import { connect, memoryTransport, newReplica, newServer, scriptedTransport, settle, until } from './fixtures.ts';

/** Fake only the clock and timers: fake-indexeddb runs on setImmediate, left real. */
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const down = new SyncError(ErrorCode.TRANSPORT, 'connection refused');

async function failingPusher(config: Parameters<typeof connect>[2] = {}) {
  const { server, store } = newServer();
  const { replica } = await newReplica();
  const scripted = scriptedTransport(memoryTransport(server));
  const manager = connect(replica, scripted.transport, { direction: 'push-only', ...config });
  const statuses: SyncStatus[] = [];
  manager.on('status', (s) => statuses.push(s));
  await replica.put('notes', 'a', { v: 1 });
  return { server, store, replica, scripted, manager, statuses };
}

/** Fires the next timer and waits for the push it starts to be handled. */
async function nextPush(scripted: ReturnType<typeof scriptedTransport>, manager: { status(): SyncStatus }) {
  const count = scripted.callsOf('push').length;
  await vi.advanceTimersToNextTimerAsync();
  await until(() => scripted.callsOf('push').length > count && manager.status().state !== 'syncing', 'a push');
}

describe('background sync', () => {
  it('retries a failing push after 500, 1000, 2000 ms …, at the cap once exhausted, and starts over after a success', async () => {
    const { scripted, manager, replica, statuses } = await failingPusher({ retry: { maxRetries: 4 } });
    scripted.fail('push', down);
    await manager.start();
    await until(() => scripted.callsOf('push').length === 1 && manager.status().state === 'disconnected', 'first push');
    for (let i = 0; i < 5; i++) await nextPush(scripted, manager);
    const times = scripted.callsOf('push').map((c) => c.at);
    expect(times.slice(1).map((t, i) => t - (times[i] as number))).toEqual([500, 1000, 2000, 30_000, 30_000]);
    expect(manager.status()).toMatchObject({
      state: 'disconnected',
      running: true,
      error: { code: 'TRANSPORT' },
      retry: { attempt: 6, nextDelayMs: 30_000, exhausted: true },
    });
    expect(statuses.map((s) => s.retry?.exhausted).filter((e) => e !== undefined)).toEqual([false, false, false, true, true, true]);

    scripted.heal('push');
    await nextPush(scripted, manager);
    expect(manager.status()).toMatchObject({ state: 'idle', pending: 0 });
    expect(manager.status().retry).toBeUndefined();

    scripted.fail('push', down);
    const before = scripted.callsOf('push').length;
    await replica.put('notes', 'b', { v: 2 }); // asks for a push at once
    await until(() => scripted.callsOf('push').length > before && manager.status().state === 'disconnected');
    expect(manager.status().retry).toEqual({ attempt: 1, nextDelayMs: 500, exhausted: false });
    await manager.stop();
  });

  it("waits as long as a rate-limited server's Retry-After asks, up to maxDelayMs", async () => {
    const { scripted, manager } = await failingPusher();
    scripted.fail('push', new SyncError(ErrorCode.RATE_LIMITED, 'slow down', { details: { retryAfterMs: 25_000 } }), 1);
    await manager.start();
    await until(() => manager.status().state === 'error', 'rate limited');
    expect(manager.status().retry).toEqual({ attempt: 1, nextDelayMs: 25_000, exhausted: false });
    await nextPush(scripted, manager);
    const times = scripted.callsOf('push').map((c) => c.at);
    expect((times[1] as number) - (times[0] as number)).toBe(25_000);
    expect(manager.status().state).toBe('idle');
    await manager.stop();
  });

  it('pushes and pulls each on its own interval (no live channel)', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server, { live: false }));
    const manager = connect(replica, scripted.transport, { pushIntervalMs: 1000, pullIntervalMs: 5000 });
    await manager.start();
    // Step the clock a second at a time, letting each cycle finish before the next step
    // (IndexedDB work runs on real macrotasks while the clock stands still; a pull after
    // the catch-up is quiet, so status cannot tell when it ends).
    for (let t = 0; t <= 11; t++) {
      await vi.advanceTimersByTimeAsync(t === 0 ? 0 : 1000);
      await until(() => manager.status().state !== 'syncing', 'the cycle to end');
      await settle();
    }
    expect(scripted.callsOf('pull').map((c) => c.at)).toEqual([0, 5000, 10_000]);
    const before = scripted.callsOf('push').length;
    await replica.put('notes', 'a', 1);
    await until(() => scripted.callsOf('push').length > before, 'a push soon after a local write');
    await manager.stop();
  });

  it('pauses offline without burning retries and retries at once when back online', async () => {
    const { scripted, manager, replica } = await failingPusher();
    scripted.fail('push', down);
    await manager.start();
    await until(() => manager.status().retry?.attempt === 1, 'first failure');
    manager.setOnline(false);
    expect(manager.status()).toMatchObject({ state: 'disconnected', running: true });
    expect(manager.status().retry).toBeUndefined();
    await vi.advanceTimersByTimeAsync(120_000);
    await settle();
    expect(scripted.callsOf('push')).toHaveLength(1);
    scripted.heal('push');
    manager.setOnline(true);
    await until(() => scripted.callsOf('push').length === 2 && manager.status().state === 'idle', 'push when online');
    expect(await replica.pendingCount()).toBe(0);
    await manager.stop();
  });

  it('start() resolves when the server cannot be reached, and the connect loop shakes hands again after 500, 1000 ms …', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    scripted.fail('handshake', down, 3);
    const manager = connect(replica, scripted.transport);
    await manager.start(); // does not reject: a retry may fix TRANSPORT
    await until(() => manager.status().state === 'disconnected', 'the first failure');
    expect(manager.status()).toMatchObject({ running: true, error: { code: 'TRANSPORT' }, retry: { attempt: 1, nextDelayMs: 500 } });
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersToNextTimerAsync();
      await until(() => scripted.callsOf('handshake').length === i + 2 && manager.status().state !== 'syncing', 'a handshake');
    }
    const times = scripted.callsOf('handshake').map((c) => c.at);
    expect(times.slice(1).map((t, i) => t - (times[i] as number))).toEqual([500, 1000, 2000]);
    await until(() => scripted.callsOf('pull').length > 0 && manager.status().state === 'idle', 'push and pull after the handshake');
    expect(manager.status()).toMatchObject({ state: 'idle', running: true });
    expect(manager.status().lastSyncedAt).not.toBeNull();
    await manager.stop();
  });

  it('a refusal on a later handshake stops sync for good: not running, status error, an error event', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    scripted.fail('handshake', down, 1);
    const manager = connect(replica, scripted.transport);
    const errors: string[] = [];
    manager.on('error', (e) => errors.push(e.code));
    await manager.start();
    scripted.fail('handshake', new SyncError(ErrorCode.UNAUTHORIZED, 'token revoked'));
    await vi.advanceTimersToNextTimerAsync();
    await until(() => manager.status().state === 'error', 'the refusal');
    expect(manager.status()).toMatchObject({ running: false, error: { code: 'UNAUTHORIZED' } });
    expect(manager.status().retry).toBeUndefined();
    expect(errors).toEqual(['TRANSPORT', 'UNAUTHORIZED']);
    await vi.advanceTimersByTimeAsync(120_000);
    await settle();
    expect(scripted.callsOf('handshake')).toHaveLength(2); // nothing retries a refusal
    await manager.stop();
  });

  it('pulls at once when the live channel pokes', async () => {
    const { server } = newServer();
    const a = await newReplica();
    const b = await newReplica();
    const manager = connect(b.replica, memoryTransport(server), { pullIntervalMs: 600_000 });
    await manager.start();
    await settle();
    // Past the floor between requested pulls (counted from the catch-up's start), far
    // short of the interval: only a poke can pull now.
    vi.advanceTimersByTime(POKE_PULL_GAP_MS);
    let pulled = false;
    manager.on('change', (event) => {
      if (event.source === 'remote') pulled = true;
    });
    await a.replica.put('notes', 'poked', { v: 1 });
    await connect(a.replica, memoryTransport(server), { direction: 'push-only' }).syncOnce();
    await until(() => pulled, 'a pull after the poke'); // the clock stands still: no interval pull
    expect((await b.replica.get('notes', 'poked'))?.value).toEqual({ v: 1 });
    await manager.stop();
  });
});
