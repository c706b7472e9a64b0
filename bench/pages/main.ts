/**
 * The bench page: every measurement as `window.pulseBench`, for the driver (bench/run.ts
 * and its sections) to call with `page.evaluate`. pulsesync, the plain-IndexedDB
 * limits and the peers (Dexie, RxDB) live in this one page, so each comparison is
 * taken in the same process under the same load. Dexie and RxDB are dev dependencies
 * loaded here only.
 */
import { dexieBatches, dexieBulkPut, dexieDrop, dexiePutOne, dexieReadAll } from './dexie-peer.ts';
import { engineInitialSync } from './engine-probe.ts';
import { limitDrop, limitPutBatches, limitPutOnePerTx, limitPutOneTx, limitReadAll } from './idb-limits.ts';
import { deviceArrival, deviceLongestTask, deviceStart, deviceStop, deviceWrite } from './latency-device.ts';
import { replicaApply, replicaPutMany, replicaPutOne } from './replica-probe.ts';
import { rxdbBulkInsert, rxdbDrop, rxdbInsertOne, rxdbReadAll, rxdbReplicate } from './rxdb-peer.ts';
import { sdkClose, sdkInitialSync, sdkList, sdkOpen, sdkPageList, sdkPutMany, sdkPutOne } from './sdk-calls.ts';
import { wirePull } from './wire-probe.ts';

const api = {
  sdkOpen, sdkClose, sdkPutMany, sdkPutOne, sdkInitialSync, sdkList, sdkPageList,
  limitPutOneTx, limitPutOnePerTx, limitPutBatches, limitReadAll, limitDrop,
  dexieBulkPut, dexiePutOne, dexieBatches, dexieReadAll, dexieDrop,
  rxdbBulkInsert, rxdbInsertOne, rxdbReplicate, rxdbReadAll, rxdbDrop,
  replicaPutMany, replicaPutOne, replicaApply, wirePull, engineInitialSync,
  deviceStart, deviceWrite, deviceArrival, deviceLongestTask, deviceStop,
};

/** What the bench page offers to the driver. */
export type PulseBenchApi = typeof api;

declare global {
  interface Window {
    pulseBench: PulseBenchApi;
  }
}

window.pulseBench = api;
document.title = 'pulsesync bench: ready';
