/**
 * Offline start, the worker's own paths (issue 12, item 7): whatever fails first, a
 * started tab keeps syncing by itself once it can — no path leaves the loop stopped.
 * Beside test/client/start-up.test.ts (server unreachable; a failed initialSync):
 * a token service unreachable at start (getToken throws), a first handshake answered
 * SHUTDOWN (a server going down), and a follower taking over the lead while offline.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import type { SyncStatus } from '../../src/protocol/types.ts';
import { httpTransport } from '../../src/transport/http-transport.ts';
import { startScriptedServer, TOKEN, type ScriptedServer } from '../transport/http-fixtures.ts';
import { waitFor } from '../support/wait.ts';
import { switchableOnline } from './switchable-online.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld> | undefined;
let server: ScriptedServer | undefined;

afterEach(async () => {
  await world?.closeAll();
  await server?.close();
  world = undefined;
  server = undefined;
});

const QUICK = { retry: { initialDelayMs: 20, maxDelayMs: 50 } } as const;

describe('offline start: the worker never leaves the loop stopped', () => {
  it('a token service unreachable at start: disconnected and retrying, not a final UNAUTHORIZED', async () => {
    server = await startScriptedServer();
    const url = server.url;
    world = tabsWorld({ workerOptions: { transport: (settings) => httpTransport({ ...settings, url }) } });
    let tokenServiceUp = false;
    const tab = world.open({
      url,
      config: QUICK,
      getToken: () => {
        if (!tokenServiceUp) throw new Error('the token service cannot be reached');
        return TOKEN;
      },
    });
    const states: SyncStatus[] = [];
    tab.on('status', (s) => states.push(s));
    await tab.start(); // used to stop for good: a throwing getToken was UNAUTHORIZED, a final refusal
    await tab.put('notes', 'offline', 1);
    await waitFor('disconnected, retrying', () => tab.status(), (s) => s.state === 'disconnected' && s.running && s.retry !== undefined);
    expect(tab.status().error).toMatchObject({ code: 'TRANSPORT', message: expect.stringContaining('getToken() failed') });

    tokenServiceUp = true; // no app code from here on
    await waitFor('synced', () => tab.status(), (s) => s.state === 'idle' && s.pending === 0 && s.lastSyncedAt !== null);
    expect(states.some((s) => !s.running)).toBe(false);
  });

  it('a server answering SHUTDOWN (going down): start() resolves at once, says so, and sync goes on after', async () => {
    let down = true;
    world = tabsWorld({
      transport: (inner) => ({
        ...inner,
        handshake: (request) => (down ? Promise.reject(new SyncError(ErrorCode.SHUTDOWN, 'the server is shutting down')) : inner.handshake(request)),
      }),
    });
    const tab = world.open({ config: QUICK });
    await tab.start(); // used to wait until the server came back (forever under a stopped clock): SHUTDOWN was taken for our own stop
    expect(tab.status()).toMatchObject({ running: true, state: 'error', error: { code: 'SHUTDOWN' } });
    await tab.put('notes', 'n', 1);
    down = false;
    await waitFor('synced', () => tab.status(), (s) => s.state === 'idle' && s.pending === 0 && s.lastSyncedAt !== null);
  });

  it('a follower that takes over the lead while offline syncs once back online', async () => {
    const online = switchableOnline(false);
    world = tabsWorld({ workerOptions: { online } });
    const leader = world.open({ config: QUICK });
    const follower = world.open({ config: QUICK });
    await leader.start();
    await follower.start();
    await follower.put('notes', 'offline-write', 1);
    expect(world.requests).toEqual([]); // offline: nothing sent
    await leader.close(); // the leading tab goes away; the follower leads, still offline
    await waitFor('the follower leads, disconnected', () => follower.status(), (s) => s.running && s.state === 'disconnected');
    online.set(true);
    await waitFor('the offline write pushed', () => world?.pushed ?? [], (p) => p.includes('notes/offline-write@1'));
    await waitFor('idle', () => follower.status(), (s) => s.state === 'idle' && s.pending === 0);
  });
});
