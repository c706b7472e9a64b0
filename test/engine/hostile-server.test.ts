/**
 * The client does not trust the server (issue 11, client side): what another user
 * pushed, or what a broken or hostile server answers, never stops this replica's
 * writes, never moves its cursor where it should not go, and never drives it into a
 * hot loop. Each test names the finding it proves.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { isHlc, parseHlc } from '../../src/clock/hlc.ts';
import { PROTOCOL_VERSION, type PushRequest } from '../../src/protocol/types.ts';
import { openReplica } from '../../src/store/idb-replica.ts';
import { MetaKey, Stores, type WriteState } from '../../src/store/schema.ts';
import { httpTransport } from '../../src/transport/http-transport.ts';
import { peerKey } from '../../src/engine/peer-key.ts';
import type { PulledChange, PullResponse } from '../../src/protocol/types.ts';
import type { LocalStore } from '../../src/store/types.ts';
import { useFakeClock, runFor } from './fake-clock.ts';
import { connect, memoryTransport, newReplica, newServer, scriptedTransport, type TestServer } from './fixtures.ts';
import { hostileTransport, type AnswerRewrites } from './hostile-transport.ts';

/** The clock of finding 1, pushed by one user into a collective two users share. */
const POISON = '999999999999999:999999:zzzz';
const ATTACKER = '01900000-0000-7000-8000-00000000dead';

describe('finding 1: a clock pushed by another user never stops this replica’s writes', () => {
  async function poisonedSharedCollective() {
    const { server, store } = newServer();
    // One valid change with an absurd clock, written to the store directly: a server now
    // refuses it (test/server/http/clock-drift.test.ts), one from before the bound did not.
    await store.transaction((tx) => tx.writeRecords([{ collective: 'shared', id: 'x', op: 'put', value: 'boom', hlc: POISON, source: ATTACKER }]));
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


describe('finding 9: a huge Retry-After is capped at maxDelayMs, not overflowed into a hot loop', () => {
  useFakeClock();

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

/** A server holding `count` notes and one secret, written by another replica. */
async function serverWithNotes(count: number): Promise<{ server: TestServer; serverId: string }> {
  const { server, store } = newServer();
  const writer = await newReplica();
  await writer.replica.putMany(Array.from({ length: count }, (_, i) => ({ collective: 'notes', id: `n${i}`, value: i })));
  await writer.replica.put('secrets', 's', 'not asked for');
  await connect(writer.replica, memoryTransport(server)).syncOnce();
  return { server, serverId: await store.serverId() };
}

/** A replica with one write of its own waiting to be pushed. */
async function replicaWithPendingWrite(): Promise<LocalStore> {
  const { replica } = await newReplica();
  await replica.put('mine', 'draft', 'keep me');
  return replica;
}

/** What the replica holds after a refused answer: nothing of it, and its own write. */
async function expectUntouched(replica: LocalStore, peer: string, cursor: number, notes: number): Promise<void> {
  expect(await replica.pullCursor(peer)).toBe(cursor);
  expect(await replica.list('notes')).toHaveLength(notes);
  expect(await replica.list('secrets')).toEqual([]);
  expect(await replica.pendingCount()).toBe(1);
  expect((await replica.get('mine', 'draft'))?.value).toBe('keep me');
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => error,
  );
}

/** Syncs pull-only through `rewrites`; returns the error and what the transport saw. */
async function pullThrough(server: TestServer, replica: LocalStore, rewrites: AnswerRewrites, config: Parameters<typeof connect>[2] = {}) {
  const hostile = hostileTransport(memoryTransport(server), rewrites, { maxRequests: 50 });
  const error = await failureOf(connect(replica, hostile.transport, { direction: 'pull-only', ...config }).syncOnce());
  return { error, hostile };
}

describe('finding 10: hasMore with a cursor that does not advance is an invalid response, not a spin', () => {
  it('syncOnce fails INVALID_RESPONSE after one pull and applies nothing', async () => {
    const { server, serverId } = await serverWithNotes(3);
    const replica = await replicaWithPendingWrite();
    const { error, hostile } = await pullThrough(server, replica, {
      pull: (request, answer) => ({ ...answer, hasMore: true, newCursor: request.cursor }),
    });
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE' });
    expect((error as Error).message).toMatch(/did not move the cursor/);
    expect(hostile.of('pull')).toHaveLength(1);
    await expectUntouched(replica, peerKey(serverId, undefined), 0, 0);
  });

  describe('in the background', () => {
    useFakeClock();

    it('backs off: a few pulls in 3 s, with the error in status', async () => {
      const { server } = await serverWithNotes(3);
      const replica = await replicaWithPendingWrite();
      const hostile = hostileTransport(
        memoryTransport(server),
        { pull: (request, answer) => ({ ...answer, hasMore: true, newCursor: request.cursor }) },
        { maxRequests: 200 },
      );
      const manager = connect(replica, hostile.transport, { direction: 'pull-only' });
      await manager.start();
      await runFor(3_000);
      // At 0, then after 500 and 1000 ms of backoff.
      expect(hostile.of('pull').length).toBeLessThanOrEqual(3);
      expect(manager.status()).toMatchObject({ state: 'error', error: { code: 'INVALID_RESPONSE' }, retry: { attempt: 3 } });
      await manager.stop();
    });
  });
});

describe('finding 11: the client refuses a cursor or rows it cannot trust, and keeps its data', () => {
  it('refuses a cursor moved back from 100 to 5', async () => {
    const { server, serverId } = await serverWithNotes(99);
    const replica = await replicaWithPendingWrite();
    const peer = peerKey(serverId, undefined);
    await connect(replica, memoryTransport(server), { direction: 'pull-only' }).syncOnce();
    expect(await replica.pullCursor(peer)).toBe(100);
    const { error } = await pullThrough(server, replica, { pull: (_request, answer) => ({ ...answer, newCursor: 5 }) });
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE' });
    expect((error as Error).message).toMatch(/back from 100 to 5/);
    expect(await replica.pullCursor(peer)).toBe(100);
    expect(await replica.list('notes')).toHaveLength(99);
    expect(await replica.pendingCount()).toBe(1);
  });

  it('refuses a cursor of 2^53−1', async () => {
    const { server, serverId } = await serverWithNotes(3);
    const replica = await replicaWithPendingWrite();
    const { error } = await pullThrough(server, replica, {
      pull: (_request, answer) => ({ ...answer, newCursor: Number.MAX_SAFE_INTEGER }),
    });
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE' });
    await expectUntouched(replica, peerKey(serverId, undefined), 0, 0);
  });

  it('refuses rows of a collective it did not ask for', async () => {
    const { server, serverId } = await serverWithNotes(3);
    const replica = await replicaWithPendingWrite();
    const { error, hostile } = await pullThrough(
      server,
      replica,
      {
        // The server answers as if no filter had been asked for.
        pull: (request, answer) => (request.collectives === undefined ? answer : allCollectivesOf(server, request)),
      },
      { collectives: ['notes'] },
    );
    expect(hostile.of('pull')).toHaveLength(1);
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE' });
    expect((error as Error).message).toMatch(/"secrets", which this client did not ask for/);
    await expectUntouched(replica, peerKey(serverId, ['notes']), 0, 0);
  });

  it.each<[string, (request: { cursor: number; batchSize: number }, answer: PullResponse) => unknown]>([
    ['more rows than the batch size asked for', (_request, answer) => ({ ...answer, changes: [...answer.changes, ...answer.changes] })],
    ['rows out of feed order', (_request, answer) => ({ ...answer, changes: [...answer.changes].reverse() })],
    ['a row beyond the new cursor', (_request, answer) => ({ ...answer, newCursor: 1 })],
  ])('refuses %s', async (_what, rewrite) => {
    const { server, serverId } = await serverWithNotes(3);
    const replica = await replicaWithPendingWrite();
    const { error } = await pullThrough(server, replica, { pull: rewrite }, { batchSize: 4 });
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE' });
    await expectUntouched(replica, peerKey(serverId, undefined), 0, 0);
  });

  it('refuses a row at or before the cursor it asked from', async () => {
    const { server, serverId } = await serverWithNotes(3);
    const replica = await replicaWithPendingWrite();
    const peer = peerKey(serverId, undefined);
    await connect(replica, memoryTransport(server), { direction: 'pull-only' }).syncOnce();
    const other = await newReplica();
    await other.replica.put('notes', 'later', 'v5');
    await connect(other.replica, memoryTransport(server)).syncOnce();
    const { error } = await pullThrough(server, replica, {
      pull: (_request, answer) => ({ ...answer, changes: answer.changes.map((c: PulledChange) => ({ ...c, version: 2 })) }),
    });
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE' });
    expect(await replica.pullCursor(peer)).toBe(4);
    expect(await replica.get('notes', 'later')).toBeUndefined();
  });

  it('refuses a push conflict about a record it did not push, and keeps the write pending', async () => {
    const { server } = await serverWithNotes(1);
    const replica = await replicaWithPendingWrite();
    const hostile = hostileTransport(memoryTransport(server), {
      push: (request, answer) => ({
        ...answer,
        conflicts: [
          {
            seq: request.changes[0]!.seq,
            collective: 'mine',
            id: 'draft',
            policy: 'last-write-wins',
            server: { collective: 'notes', id: 'n0', op: 'put', value: 'planted', hlc: '000000000000001:000000:x', source: ATTACKER, version: 1 },
          },
        ],
      }),
    });
    const error = await failureOf(connect(replica, hostile.transport).syncOnce());
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE' });
    expect(await replica.get('notes', 'n0')).toBeUndefined();
    expect(await replica.pendingCount()).toBe(1);
  });
});

/** The page the server would serve without the request's collective filter. */
async function allCollectivesOf(server: TestServer, request: { instanceId: string; cursor: number; batchSize: number }): Promise<PullResponse> {
  return server.handlePull({ instanceId: request.instanceId, cursor: request.cursor, batchSize: request.batchSize });
}
