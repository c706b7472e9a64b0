/**
 * The IndexedDB replica under fake-indexeddb: the LocalStore contract, then what only
 * this implementation can show — failures of IndexedDB itself and the cost in puts.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { beforeEach } from 'vitest';
import { openReplica } from '../../src/store/idb-replica.ts';
import { runReplicaContract } from './replica-contract.ts';

let factory = new IDBFactory();
beforeEach(() => {
  factory = new IDBFactory();
});

runReplicaContract('IndexedDB replica (fake-indexeddb)', (name) => openReplica({ name, indexedDB: factory, IDBKeyRange }));
