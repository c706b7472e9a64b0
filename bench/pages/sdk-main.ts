/**
 * The SDK bench page (sdk.html): `window.pulseSdk` ({@link PulseSdkApi}) over pulsesync's
 * browser client, `createSyncClient`, with the IndexedDB limits of main.ts in the same
 * page so every ratio compares figures taken side by side. Timed inside the page with
 * performance.now(); the driver is bench/sections/sdk.ts.
 */
import { deleteDB } from 'idb';
import { createSyncClient, type SyncClient } from '../../src/client/index.ts';
import { benchRecords, benchValue } from '../../tools/records.ts';
import { longTaskWatch } from './long-tasks.ts';
import type { BenchClientOptions, PulseSdkApi } from './sdk-api.ts';
import './main.ts';

/** Open clients by replica name. */
const clients = new Map<string, SyncClient>();
/** When each change id arrived on this page (timeOrigin + now), and who waits for one. */
const arrivals = new Map<string, number>();
const waiting = new Map<string, (at: number) => void>();

/** Wall-clock milliseconds comparable between pages of one browser. */
const now = (): number => performance.timeOrigin + performance.now();

/** Opens a client on a fresh replica and waits until its worker answers (not timed). */
async function open(options: BenchClientOptions & { config?: Record<string, number | string> }): Promise<SyncClient> {
  const client = createSyncClient({
    name: options.name,
    url: options.url,
    token: options.token,
    ...(options.config === undefined ? {} : { config: options.config }),
  });
  clients.set(options.name, client);
  // A read makes sure the worker is up and the replica open before anything is timed.
  await client.get('bench', 'warm-up');
  return client;
}

function clientOf(name: string): SyncClient {
  const client = clients.get(name);
  if (client === undefined) throw new Error(`no bench client named ${name}`);
  return client;
}

/** Closes a client and deletes its replica. */
async function dispose(name: string): Promise<void> {
  const client = clients.get(name);
  clients.delete(name);
  await client?.close();
  await deleteDB(name);
}

const api: PulseSdkApi = {
  async putMany(options) {
    const client = await open(options);
    const records = benchRecords(options.count, options.bytes);
    const start = performance.now();
    await client.putMany(records);
    const ms = performance.now() - start;
    await dispose(options.name);
    return ms;
  },

  async putOne(options) {
    const client = await open(options);
    const records = benchRecords(options.count, options.bytes);
    const start = performance.now();
    for (const r of records) await client.put(r.collective, r.id, r.value);
    const ms = performance.now() - start;
    await dispose(options.name);
    return ms;
  },

  async prepare(options) {
    await open(options);
  },

  async initialSync(options) {
    const client = clientOf(options.name);
    longTaskWatch('initial-sync', 'start');
    const start = performance.now();
    const progress = await client.initialSync();
    const ms = performance.now() - start;
    const tasks = longTaskWatch('initial-sync', 'stop');
    await dispose(options.name);
    return { ms, pulled: progress.totalPulled, longestTaskMs: tasks.maxMs, longTasks: tasks.count };
  },

  async startDevice(options) {
    const client = await open(options);
    longTaskWatch(`device-${options.name}`, 'start');
    client.on('change', (event) => {
      if (event.source !== 'remote') return;
      const at = now();
      for (const change of event.changes) {
        arrivals.set(change.id, at);
        waiting.get(change.id)?.(at);
        waiting.delete(change.id);
      }
    });
    await client.start();
  },

  async write(options) {
    const client = clientOf(options.name);
    const sentAt = now();
    await client.put(options.collective, options.id, benchValue(arrivals.size, 150));
    return sentAt;
  },

  arrival(options) {
    const seen = arrivals.get(options.id);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<number>((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(options.id);
        resolve(Number.NaN);
      }, options.timeoutMs);
      waiting.set(options.id, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  },

  async stopDevice(options) {
    const client = clientOf(options.name);
    await client.stop();
    const tasks = longTaskWatch(`device-${options.name}`, 'stop');
    await dispose(options.name);
    return tasks.maxMs;
  },
};

window.pulseSdk = api;
document.title = 'pulsesync bench: sdk ready';
