/**
 * The IndexedDB replica's identity: reading it for a handshake, keeping the key a
 * server issued, and starting a fresh identity when a server refuses the current one.
 * Each is one transaction, so a fresh identity (new id, no key, the log renumbered,
 * the cursors gone) commits whole or not at all.
 */
import type { InstanceId, InstanceKey } from '../protocol/types.ts';
import type { IdbConnection } from './idb-connection.ts';
import { requestResult } from './idb-transaction.ts';
import { identityOf, keyToKeep, renumberLog } from './replica-identity.ts';
import { MetaKey, Stores, type LogEntry, type StoredInstanceKey, type WriteState } from './schema.ts';
import type { ReplicaIdentity } from './types.ts';
import { uuidV7 } from './uuid-v7.ts';

function readMeta<T>(meta: IDBObjectStore, key: string): Promise<T | undefined> {
  return requestResult(meta.get(key)) as Promise<T | undefined>;
}

/** The identity as the database holds it (another tab may have renewed it). */
export function readIdentity(conn: IdbConnection): Promise<ReplicaIdentity> {
  return conn.run('identity', [Stores.meta], 'readonly', async (tx) => {
    const meta = tx.objectStore(Stores.meta);
    const [instanceId, stored, state] = await Promise.all([
      readMeta<InstanceId>(meta, MetaKey.instanceId),
      readMeta<StoredInstanceKey>(meta, MetaKey.instanceKey),
      readMeta<WriteState>(meta, MetaKey.writeState),
    ]);
    return identityOf(instanceId as InstanceId, stored, state);
  });
}

/** See `LocalStore.saveInstanceKey`: read and kept in one transaction, so of two tabs only the first keeps its key. */
export function writeInstanceKey(conn: IdbConnection, instanceId: InstanceId, key: InstanceKey, sent: InstanceKey | undefined): Promise<InstanceKey | undefined> {
  return conn.run('saveInstanceKey', [Stores.meta], 'readwrite', async (tx) => {
    const meta = tx.objectStore(Stores.meta);
    const [current, stored] = await Promise.all([readMeta<InstanceId>(meta, MetaKey.instanceId), readMeta<StoredInstanceKey>(meta, MetaKey.instanceKey)]);
    const kept = keyToKeep(instanceId, current, stored, key, sent);
    if (kept === key) meta.put({ instanceId, key } satisfies StoredInstanceKey, MetaKey.instanceKey);
    return kept;
  });
}

/** See `LocalStore.startNewIdentity`: the new id (or the current one if `retired` is already gone). */
export function renewIdentity(conn: IdbConnection, retired: InstanceId): Promise<InstanceId> {
  return conn.run('startNewIdentity', [Stores.meta, Stores.log, Stores.cursors], 'readwrite', async (tx) => {
    const meta = tx.objectStore(Stores.meta);
    const log = tx.objectStore(Stores.log);
    const [current, entries, state] = await Promise.all([
      readMeta<InstanceId>(meta, MetaKey.instanceId),
      requestResult(log.getAll()) as Promise<LogEntry[]>,
      readMeta<WriteState>(meta, MetaKey.writeState),
    ]);
    if (current !== retired) return current as InstanceId;
    const instanceId = uuidV7();
    const renewed = renumberLog(entries, state);
    log.clear();
    for (const entry of renewed.entries) log.put(entry);
    tx.objectStore(Stores.cursors).clear();
    meta.delete(MetaKey.instanceKey);
    meta.put(instanceId, MetaKey.instanceId);
    meta.put(renewed.state, MetaKey.writeState);
    return instanceId;
  });
}
