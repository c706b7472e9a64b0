/**
 * Devices for engine tests of field-level records: a fake-IndexedDB replica with
 * `replicaFields` whose clock runs a chosen skew off, an engine on the memory server,
 * and the conflict events it heard.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { SyncManager } from '../../src/engine/sync-manager.ts';
import type { ConflictInfo, SyncConfigInput } from '../../src/engine/types.ts';
import { fieldStore, type FieldStore } from '../../src/store/field-seam.ts';
import { openReplica } from '../../src/store/idb-replica.ts';
import { replicaFields } from '../../src/store/replica-fields.ts';
import { memoryTransport, newServer, type TestServer } from './fixtures.ts';

/** The engine under the field policy. */
export const FIELDS: SyncConfigInput = { conflictResolution: 'field-last-write-wins' };

/** A device: a replica with field-level records whose clock runs `skewMs` off, and what it heard. */
export async function device(server: TestServer, name: string, skewMs: number) {
  const replica = fieldStore(await openReplica({ name, indexedDB: new IDBFactory(), IDBKeyRange, now: () => Date.now() + skewMs, fields: replicaFields }), 'test');
  const heard: ConflictInfo[] = [];
  const manager = (config: SyncConfigInput = FIELDS) => {
    const sync = new SyncManager(replica, memoryTransport(server), config);
    sync.on('conflict', (conflict) => heard.push(conflict));
    return sync;
  };
  const sync = manager();
  return { replica: replica as FieldStore, sync, manager, heard, id: replica.instanceId };
}

/** Two devices holding `todos/t`, synced; B's clock runs ahead. */
export async function twoDevices() {
  const { server } = newServer();
  // B's clock runs ahead: of two concurrent edits, B's is the later.
  const a = await device(server, `a-${Math.random()}`, 0);
  const b = await device(server, `b-${Math.random()}`, 50);
  await a.replica.put('todos', 't', { title: 'milk', done: false });
  await a.sync.syncOnce();
  await b.sync.syncOnce();
  return { a, b };
}

