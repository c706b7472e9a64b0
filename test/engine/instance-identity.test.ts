/**
 * The client side of instance identity (issue 11, finding 4): the engine sends the
 * replica's instance key and write counter, and when a server refuses the replica's id
 * (`INSTANCE_CLONED`: a copied profile, a restored backup; `INSTANCE_FORBIDDEN`: the id
 * taken by another user) the replica takes a fresh identity, keeps its pending writes
 * and converges with everyone else. Real server over HTTP on 127.0.0.1 and in process,
 * fake-indexeddb replicas.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import type { SyncManager } from '../../src/engine/sync-manager.ts';
import { ErrorCode, SyncError, type SyncErrorData } from '../../src/protocol/errors.ts';
import { collectiveAccess, fullAccess, type Authenticate } from '../../src/server/access.ts';
import { createFetchHandler } from '../../src/server/http/fetch-handler.ts';
import { tokenAuth } from '../../src/server/http/token-auth.ts';
import { createNodeServer, type NodeSyncServer } from '../../src/server/node/node-server.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { createSyncServer, type SyncServer } from '../../src/server/sync-server.ts';
import { openReplica } from '../../src/store/idb-replica.ts';
import { requestResult } from '../../src/store/idb-transaction.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import type { LocalStore } from '../../src/store/types.ts';
import { httpTransport } from '../../src/transport/http-transport.ts';
import { memoryTransport } from '../../src/transport/memory-transport.ts';
import type { PullRequest, PushRequest } from '../../src/protocol/types.ts';
import { connect, scriptedTransport } from './fixtures.ts';

const SHARED = 'shared-token-0123456789';
const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-0123456789';
const sharedToken = tokenAuth(SHARED, 'team');
const authenticate: Authenticate = (request) => {
  const header = request.headers.get('authorization');
  if (header === `Bearer ${ALICE}`) return collectiveAccess('alice', { read: ['shared'], write: ['shared'] });
  if (header === `Bearer ${BOB}`) return collectiveAccess('bob', { read: ['shared'], write: ['shared'] });
  return sharedToken(request);
};

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A sync server over a memory store, behind a Node server on 127.0.0.1. */
async function httpServer(options: { requireInstanceKeys?: boolean } = {}): Promise<{ server: SyncServer; url: string }> {
  const server = createSyncServer({ store: memoryServerStore(), authenticate, ...options });
  const node: NodeSyncServer = await createNodeServer(createFetchHandler(server, { onError: () => undefined }), { host: '127.0.0.1', port: 0 });
  cleanups.push(() => server.close(), () => node.close());
  return { server, url: node.url };
}

/** The replica `name` in a browser profile of its own. */
async function profile(name = 'app'): Promise<{ factory: IDBFactory; open: () => Promise<LocalStore> }> {
  const factory = new IDBFactory();
  const open = async () => {
    const replica = await openReplica({ name, indexedDB: factory, IDBKeyRange });
    cleanups.push(() => replica.close());
    return replica;
  };
  return { factory, open };
}

/** Copies the database `name` from one profile into another, store by store, as a copied browser profile would. */
async function copyDatabase(from: IDBFactory, to: IDBFactory, name: string): Promise<void> {
  const open = (factory: IDBFactory) => openDatabase({ factory, name, blockedTimeoutMs: 1000, mustExist: false });
  const [source, target] = await Promise.all([open(from), open(to)]);
  const stores = [...source.objectStoreNames];
  const read = source.transaction(stores, 'readonly');
  const contents = await Promise.all(
    stores.map((store) => {
      const objects = read.objectStore(store);
      return Promise.all([store, objects.keyPath === null, requestResult(objects.getAllKeys()), requestResult(objects.getAll())] as const);
    }),
  );
  const write = target.transaction(stores, 'readwrite');
  for (const [store, outOfLine, keys, values] of contents) {
    const objects = write.objectStore(store);
    objects.clear();
    values.forEach((value, i) => (outOfLine ? objects.put(value, keys[i]) : objects.put(value)));
  }
  await new Promise<void>((resolve, reject) => {
    write.oncomplete = () => resolve();
    write.onabort = () => reject(write.error);
  });
  source.close();
  target.close();
}

/** A manager over HTTP as `token`, no live channel (each test syncs by hand), with its `error` events. */
function manage(replica: LocalStore, url: string, token: string): { manager: SyncManager; errors: SyncErrorData[] } {
  const manager = connect(replica, httpTransport({ url, headers: { authorization: `Bearer ${token}` }, live: false }));
  const errors: SyncErrorData[] = [];
  manager.on('error', (error) => errors.push(error));
  cleanups.push(() => manager.stop());
  return { manager, errors };
}

/** `collective` as the replica holds it: id → value. */
async function view(replica: LocalStore, collective: string): Promise<Record<string, unknown>> {
  return Object.fromEntries((await replica.list(collective)).map((record) => [record.id, record.value]));
}

describe('a cloned replica', () => {
  it('that writes at a seq its twin already pushed is refused INSTANCE_CLONED, takes a fresh identity, keeps its pending write, and both converge', async () => {
    const { url } = await httpServer();
    const first = await profile();
    const original = await first.open();
    const a = manage(original, url, SHARED);
    await original.put('team', 'a', 'before the copy');
    await a.manager.syncOnce();

    const copied = await profile();
    await copyDatabase(first.factory, copied.factory, 'app');
    const clone = await copied.open();
    expect(clone.instanceId).toBe(original.instanceId);
    expect((await clone.identity()).instanceKey).toBeDefined(); // the key was copied too

    await original.put('team', 'b', 'by the original');
    await a.manager.syncOnce();
    await clone.put('team', 'c', 'by the copy'); // seq 2 as well, another change
    const b = manage(clone, url, SHARED);
    await b.manager.syncOnce();

    expect(clone.instanceId).not.toBe(original.instanceId);
    expect(b.errors.map((error) => error.code)).toEqual([ErrorCode.INSTANCE_CLONED]);
    expect(b.errors[0]?.message).toContain(`now ${clone.instanceId}`);
    expect(await clone.pendingCount()).toBe(0);
    expect(b.manager.status()).toMatchObject({ state: 'idle', pending: 0 });
    await a.manager.syncOnce();
    const all = { a: 'before the copy', b: 'by the original', c: 'by the copy' };
    expect(await view(original, 'team')).toEqual(all);
    expect(await view(clone, 'team')).toEqual(all);
    expect(a.errors).toEqual([]);
  });

  it('restored from a backup behind the server is refused at handshake, starts a fresh identity with its writes kept, and pulls from 0', async () => {
    const server = createSyncServer({ store: memoryServerStore() }); // in process: no identities, only the clone check
    cleanups.push(() => server.close());
    const live = await profile();
    const original = await live.open();
    const a = connect(original, memoryTransport(server, { live: false }));
    await original.put('notes', 'a', 1);
    await a.syncOnce();
    const backup = await profile();
    await copyDatabase(live.factory, backup.factory, 'app');
    await original.putMany([
      { collective: 'notes', id: 'b', value: 2 },
      { collective: 'notes', id: 'c', value: 3 },
    ]);
    await a.syncOnce();

    const restored = await backup.open();
    await restored.delete('notes', 'a'); // made offline after the restore: seq 2, behind the server's 3
    const wire = scriptedTransport(memoryTransport(server, { live: false }));
    const b = connect(restored, wire.transport);
    const errors: string[] = [];
    b.on('error', (error) => errors.push(error.code));
    await b.syncOnce();

    expect(errors).toEqual([ErrorCode.INSTANCE_CLONED]);
    expect(wire.callsOf('push').map(({ request }) => [request.instanceId, request.changes.map((change) => [change.seq, change.op])])).toEqual([
      [restored.instanceId, [[1, 'delete']]],
    ]);
    await a.syncOnce();
    expect(await view(restored, 'notes')).toEqual({ b: 2, c: 3 });
    expect(await view(original, 'notes')).toEqual({ b: 2, c: 3 });
  });
});

describe('a replica whose instance id another user took', () => {
  it('is refused INSTANCE_FORBIDDEN, takes a fresh identity, keeps its pending write, and sees what was written under its old id', async () => {
    const { url } = await httpServer();
    const alice = await (await profile()).open();
    await alice.put('shared', 'plan', 'alice: v1');
    // Bob writes first under Alice's id (ids are public: every pulled change names its writer).
    const forged = await fetch(`${url}/sync/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${BOB}` },
      body: JSON.stringify({
        instanceId: alice.instanceId,
        policy: 'last-write-wins',
        changes: [{ seq: 1, source: alice.instanceId, collective: 'shared', id: 'note', op: 'put', value: 'bob', hlc: formatHlc({ wallMs: Date.now(), counter: 0, node: 'bob' }), baseVersion: null }],
      }),
    });
    expect(forged.status).toBe(200);
    const taken = alice.instanceId;

    const a = manage(alice, url, ALICE);
    await a.manager.syncOnce();

    expect(a.errors.map((error) => error.code)).toEqual([ErrorCode.INSTANCE_FORBIDDEN]);
    expect(alice.instanceId).not.toBe(taken);
    expect(await alice.pendingCount()).toBe(0);
    // The row written under the old id is no longer hidden from Alice as her own echo.
    expect(await view(alice, 'shared')).toEqual({ plan: 'alice: v1', note: 'bob' });
    const bob = await (await profile()).open();
    await manage(bob, url, BOB).manager.syncOnce();
    expect(await view(bob, 'shared')).toEqual({ plan: 'alice: v1', note: 'bob' });
  });
});

describe('instance keys', () => {
  it('are kept from the handshake and sent with every push and pull, and the next session sends them back at handshake', async () => {
    const { server } = await httpServer({ requireInstanceKeys: true });
    const team = fullAccess('team');
    const { open } = await profile();
    const replica = await open();
    const wire = scriptedTransport(memoryTransport(server, { access: team, live: false }));
    await replica.put('team', 'a', 1);
    await connect(replica, wire.transport).syncOnce();

    const [hello] = wire.callsOf('handshake');
    expect(hello?.request).toEqual(expect.objectContaining({ instanceId: replica.instanceId, lastSeq: 1, capabilities: expect.arrayContaining(['instance-key']) }));
    expect(hello?.request).not.toHaveProperty('instanceKey');
    const key = (await replica.identity()).instanceKey;
    expect(key).toEqual(expect.any(String));
    const sent = [...wire.callsOf('push'), ...wire.callsOf('pull')].map((call) => (call.request as PushRequest | PullRequest).instanceKey);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(new Set(sent)).toEqual(new Set([key]));

    const again = scriptedTransport(memoryTransport(server, { access: team, live: false }));
    const reopened = await open();
    await reopened.put('team', 'b', 2);
    await connect(reopened, again.transport).syncOnce();
    expect(again.callsOf('handshake')[0]?.request).toMatchObject({ instanceId: replica.instanceId, instanceKey: key, lastSeq: 2 });
  });

  it('are required when the server says so: a pull under the id without the key is refused, the replica that holds it syncs', async () => {
    const { server, url } = await httpServer({ requireInstanceKeys: true });
    const replica = await (await profile()).open();
    const { manager, errors } = manage(replica, url, SHARED);
    await replica.put('team', 'a', 1);
    await manager.syncOnce();
    expect(errors).toEqual([]);
    const keyless = server.handlePull({ instanceId: replica.instanceId, cursor: 0, batchSize: 10 }, fullAccess('team'));
    await expect(keyless).rejects.toMatchObject({ code: ErrorCode.INSTANCE_FORBIDDEN });
    const other = await (await profile()).open();
    await manage(other, url, SHARED).manager.syncOnce();
    expect(await view(other, 'team')).toEqual({ a: 1 });
  });
});

describe('renewing an identity', () => {
  it('happens at most once per cause per start: a second refusal fails the run with its code, and the writes stay', async () => {
    const server = createSyncServer({ store: memoryServerStore() });
    cleanups.push(() => server.close());
    const replica = await (await profile()).open();
    const wire = scriptedTransport(memoryTransport(server, { live: false }));
    const refusal = new SyncError(ErrorCode.INSTANCE_CLONED, 'Another replica writes under this instance id');
    wire.fail('push', refusal);
    const manager = connect(replica, wire.transport);
    const errors: string[] = [];
    manager.on('error', (error) => errors.push(error.code));
    const first = replica.instanceId;
    await replica.put('notes', 'a', 1);

    await expect(manager.syncOnce()).rejects.toMatchObject({ code: ErrorCode.INSTANCE_CLONED });
    const second = replica.instanceId;
    expect(second).not.toBe(first);
    await expect(manager.syncOnce()).rejects.toMatchObject({ code: ErrorCode.INSTANCE_CLONED });
    expect(replica.instanceId).toBe(second);
    expect(wire.callsOf('push')).toHaveLength(3);
    expect(errors).toEqual([ErrorCode.INSTANCE_CLONED, ErrorCode.INSTANCE_CLONED, ErrorCode.INSTANCE_CLONED]);
    expect(manager.status()).toMatchObject({ state: 'error', error: { code: ErrorCode.INSTANCE_CLONED } });
    expect(await replica.pendingChanges(10)).toMatchObject([{ seq: 1, source: second, collective: 'notes', id: 'a' }]);

    wire.heal('push');
    await manager.syncOnce();
    expect(await replica.pendingCount()).toBe(0);
  });
});
