/**
 * The client does not trust the server (issue 11, client side): what another user
 * pushed, or what a broken or hostile server answers, never stops this replica's
 * writes, never moves its cursor where it should not go, and never drives it into a
 * hot loop. Each test names the finding it proves.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isHlc, parseHlc } from '../../src/clock/hlc.ts';
import { PROTOCOL_VERSION, type PushRequest } from '../../src/protocol/types.ts';
import { openReplica } from '../../src/store/idb-replica.ts';
import { MetaKey, Stores, type WriteState } from '../../src/store/schema.ts';
import { httpTransport } from '../../src/transport/http-transport.ts';
import { connect, memoryTransport, newReplica, newServer, scriptedTransport, settle } from './fixtures.ts';

/** The clock of finding 1, pushed by one user into a collective two users share. */
const POISON = '999999999999999:999999:zzzz';
const ATTACKER = '01900000-0000-7000-8000-00000000dead';

describe('finding 1: a clock pushed by another user never stops this replica’s writes', () => {
  async function poisonedSharedCollective() {
    const { server } = newServer();
    // One valid change with an absurd clock, straight to the server (as over HTTP).
    await server.handlePush({
      instanceId: ATTACKER,
      policy: 'last-write-wins',
      changes: [{ seq: 1, source: ATTACKER, collective: 'shared', id: 'x', op: 'put', value: 'boom', hlc: POISON, baseVersion: null }],
    });
    return server;
  }

  it('applies the poisoned change but does not adopt its clock: later writes push fine', async () => {
    const server = await poisonedSharedCollective();
    const { replica } = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    const manager = connect(replica, scripted.transport);
    await manager.syncOnce();
    // The server accepted it, so the replica holds it, as every other replica does.
    expect(await replica.get('shared', 'x')).toMatchObject({ value: 'boom', hlc: POISON });

    await replica.put('private', 'mine', 1);
    const [pending] = await replica.pendingChanges(1);
    expect(isHlc(pending!.hlc)).toBe(true);
    expect(parseHlc(pending!.hlc)!.wallMs).toBeLessThanOrEqual(Date.now() + 5 * 60_000);

    await manager.syncOnce();
    expect(await replica.pendingCount()).toBe(0);
    const pushed = scripted.callsOf('push').flatMap((c) => (c.request as PushRequest).changes);
    expect(pushed.map((c) => `${c.collective}/${c.id}`)).toEqual(['private/mine']);
    const reader = await newReplica();
    await connect(reader.replica, memoryTransport(server)).syncOnce();
    expect((await reader.replica.get('private', 'mine'))?.value).toBe(1);
  });

  it('keeps writing after a restart too (the clock it persisted is the bounded one)', async () => {
    const server = await poisonedSharedCollective();
    const { replica, reopen } = await newReplica();
    await connect(replica, memoryTransport(server)).syncOnce();
    replica.close();
    const again = await reopen();
    await again.put('private', 'mine', 2);
    await connect(again, memoryTransport(server)).syncOnce();
    expect(await again.pendingCount()).toBe(0);
  });

  it('heals a replica that adopted the poisoned clock before the bound existed', async () => {
    const { server } = newServer();
    const indexedDB = new IDBFactory();
    const name = 'poisoned-before-the-fix';
    (await openReplica({ name, indexedDB, IDBKeyRange })).close();
    await storeWriteState(indexedDB, name, { seq: 0, hlc: POISON, basis: null });
    const replica = await openReplica({ name, indexedDB, IDBKeyRange });
    await replica.put('private', 'mine', 3);
    await connect(replica, memoryTransport(server)).syncOnce();
    expect(await replica.pendingCount()).toBe(0);
    replica.close();
  });
});

/** Writes the replica's write state as a replica of the old code left it. */
function storeWriteState(indexedDB: IDBFactory, name: string, state: WriteState): Promise<void> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction([Stores.meta], 'readwrite');
      tx.objectStore(Stores.meta).put(state, MetaKey.writeState);
      tx.oncomplete = () => {
        db.close();
        resolve();
      };
      tx.onerror = () => reject(tx.error);
    };
  });
}

/** Moves fake time on by `ms`, a little at a time, letting IndexedDB work run between. */
async function runFor(ms: number, stepMs = 10): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    await vi.advanceTimersByTimeAsync(stepMs);
    await settle(3);
  }
}

describe('finding 9: a huge Retry-After is capped at maxDelayMs, not overflowed into a hot loop', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('Retry-After: 3000000 over HTTP makes one push in 3 s, and the next at maxDelayMs', async () => {
    const pushes: number[] = [];
    const fetch = async (url: RequestInfo | URL): Promise<Response> => {
      if (String(url).endsWith('/sync/handshake')) {
        return Response.json({ accepted: true, protocolVersion: PROTOCOL_VERSION, serverId: 'rate-limiter', capabilities: [] });
      }
      pushes.push(Date.now());
      return Response.json(
        { error: { code: 'RATE_LIMITED', message: 'slow down' } },
        { status: 429, headers: { 'retry-after': '3000000' } },
      );
    };
    const { replica } = await newReplica();
    await replica.put('notes', 'a', 1);
    const manager = connect(replica, httpTransport({ url: 'http://sync.test', fetch, live: false }), { direction: 'push-only' });
    await manager.start();
    await runFor(3_000);
    expect(pushes).toHaveLength(1);
    expect(manager.status()).toMatchObject({ state: 'error', error: { code: 'RATE_LIMITED' }, retry: { nextDelayMs: 30_000 } });
    await runFor(27_500, 500);
    expect(pushes).toHaveLength(2);
    // Seen by the fetch, which runs after IndexedDB work: within one step of the timer.
    expect(pushes[1]! - pushes[0]!).toBeGreaterThanOrEqual(30_000);
    expect(pushes[1]! - pushes[0]!).toBeLessThanOrEqual(30_500);
    expect(await replica.pendingCount()).toBe(1);
    await manager.stop();
  });
});
