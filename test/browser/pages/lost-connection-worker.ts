/**
 * The sync worker, as an app's own worker module, with a way for a test to take its
 * IndexedDB connections away under it, the way Safari does: every connection opened
 * through the injected factory is recorded, and a message on the BroadcastChannel
 * {@link LOSE_CONNECTION_CHANNEL} closes them — with a `close` event (a browser
 * closing the connection), without one (Safari's "connection lost"), or with the
 * database deleted behind it (Safari's "database deleted").
 */
import { exposeSyncWorker } from '../../../worker/expose.ts';
import { LOSE_CONNECTION_CHANNEL, type LoseConnectionRequest } from './lost-connection-api.ts';

const opened: { readonly name: string; readonly db: IDBDatabase }[] = [];

/** The worker's `indexedDB`, recording each connection it opens. */
const recordingFactory: IDBFactory = {
  open(name: string, version?: number) {
    const request = version === undefined ? indexedDB.open(name) : indexedDB.open(name, version);
    request.addEventListener('success', () => opened.push({ name, db: request.result }));
    return request;
  },
  deleteDatabase: (name) => indexedDB.deleteDatabase(name),
  databases: () => indexedDB.databases(),
  cmp: (a, b) => indexedDB.cmp(a, b),
};

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error ?? new Error(`deleting ${name} failed`));
  });
}

const channel = new BroadcastChannel(LOSE_CONNECTION_CHANNEL);
channel.onmessage = async (event: MessageEvent<LoseConnectionRequest>) => {
  const { id, name, how } = event.data;
  const lost = opened.filter((o) => o.name === name);
  for (const { db } of lost) {
    db.close();
    if (how === 'close-event') db.dispatchEvent(new Event('close'));
  }
  if (how === 'deleted') await deleteDatabase(name);
  channel.postMessage({ id, closed: lost.length });
};

exposeSyncWorker({ indexedDB: recordingFactory });
