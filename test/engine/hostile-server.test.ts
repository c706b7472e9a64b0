/**
 * The client does not trust the server (issue 11, client side): what another user
 * pushed, or what a broken or hostile server answers, never stops this replica's
 * writes, never moves its cursor where it should not go, and never drives it into a
 * hot loop. Each test names the finding it proves.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { isHlc, parseHlc } from '../../src/clock/hlc.ts';
import type { PushRequest } from '../../src/protocol/types.ts';
import { openReplica } from '../../src/store/idb-replica.ts';
import { MetaKey, Stores, type WriteState } from '../../src/store/schema.ts';
import { connect, memoryTransport, newReplica, newServer, scriptedTransport } from './fixtures.ts';

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
