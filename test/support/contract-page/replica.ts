/**
 * The replica contract on this browser's own IndexedDB: the IndexedDB replica opened
 * with the page's `indexedDB` and `IDBKeyRange`, nothing faked.
 */
import { openReplica } from '../../../src/store/idb-replica.ts';
import { replicaFields } from '../../../src/store/replica-fields.ts';
import { runReplicaContract } from '../../../src/testing/replica-contract.ts';
import { exposeContract } from './vitest-shim.ts';

runReplicaContract((name, options) => openReplica({ name, ...(options?.fields === true ? { fields: replicaFields } : {}) }), 'IndexedDB replica (real browser)');
exposeContract();
