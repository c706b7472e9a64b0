/**
 * The worker's online signal and a server that cannot be reached yet: the leader says
 * `disconnected`, keeps trying, and syncs as soon as it can — no app code needed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import type { SyncStatus } from '../../src/protocol/types.ts';
import type { SyncTransport } from '../../src/transport/types.ts';
import { wrapTransport } from '../../src/transport/wrap-transport.ts';
import { waitFor } from '../support/wait.ts';
import { switchableOnline } from './switchable-online.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;

afterEach(async () => {
  await world?.closeAll();
});

/** `inner`, except that a handshake fails with `failure()` while it returns an error. */
function handshakesFail(inner: SyncTransport, failure: () => SyncError | undefined): SyncTransport {
  return wrapTransport(inner, {
    call(call) {
      const error = call.operation === 'handshake' ? failure() : undefined;
      return error === undefined ? call.send() : Promise.reject(error);
    },
  });
}

describe('online and offline', () => {
  it('offline: status disconnected and no requests; online again: syncs at once', async () => {
    const online = switchableOnline();
    world = tabsWorld({ workerOptions: { online } });
    const client = world.open({ config: { pushIntervalMs: 600_000, pullIntervalMs: 600_000 } });
    const states: SyncStatus['state'][] = [];
    client.on('status', (s) => states.push(s.state));
    await client.start();
    await waitFor('the first sync', () => client.status().lastSyncedAt, (t) => t !== null);
    online.set(false);
    await waitFor('disconnected', () => client.status().state, (s) => s === 'disconnected');
    const before = world.requests.length;
    await client.put('notes', 'offline-write', 1);
    expect(world.requests.length).toBe(before);
    online.set(true);
    await waitFor('the offline write pushed', () => world.pushed, (p) => p.includes('notes/offline-write@1'));
    expect(states).toContain('disconnected');
  });

  it('a server not reachable at start: start() resolves, status disconnected, retried until it answers', async () => {
    let down = true;
    world = tabsWorld({
      transport: (inner) => handshakesFail(inner, () => (down ? new SyncError(ErrorCode.TRANSPORT, 'connection refused') : undefined)),
    });
    const client = world.open({ config: { retry: { initialDelayMs: 20, maxDelayMs: 40 } } });
    await client.start();
    await waitFor('disconnected', () => client.status().state, (s) => s === 'disconnected');
    expect(client.status().running).toBe(true);
    expect(client.status().error?.code).toBe(ErrorCode.TRANSPORT);
    down = false;
    await waitFor('a synced status', () => client.status().lastSyncedAt, (t) => t !== null);
    expect(client.status().state).not.toBe('disconnected');
  });

  it('a final refusal at start (bad token) rejects start() and leaves the lock free', async () => {
    world = tabsWorld({
      transport: (inner) => handshakesFail(inner, () => new SyncError(ErrorCode.UNAUTHORIZED, 'bad token')),
    });
    const client = world.open();
    await expect(client.start()).rejects.toMatchObject({ code: ErrorCode.UNAUTHORIZED });
    expect(world.locks.held(`pulsesync:${world.name}`)).toBe(false);
    expect(client.status().running).toBe(false);
  });

  it('offline at start: one attempt, then nothing until the device is online', async () => {
    const online = switchableOnline();
    online.set(false);
    let down = true;
    world = tabsWorld({
      workerOptions: { online },
      transport: (inner) => handshakesFail(inner, () => (down ? new SyncError(ErrorCode.TRANSPORT, 'no network') : undefined)),
    });
    const client = world.open({ config: { retry: { initialDelayMs: 5, maxDelayMs: 10 } } });
    await client.start();
    await waitFor('disconnected', () => client.status().state, (s) => s === 'disconnected');
    const attempts = world.count('handshake');
    // Well past several retry delays: still no new attempt while offline.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(world.count('handshake')).toBe(attempts);
    down = false;
    online.set(true);
    await waitFor('a synced status', () => client.status().lastSyncedAt, (t) => t !== null);
  });
});
