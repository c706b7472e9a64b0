/**
 * The query bench page (query.html): `window.pulseQuery` ({@link PulseQueryApi}). The
 * SDK side is pulsesync's client with declared collections (queries answered in its
 * worker); the raw side is what a hand-written app would do in the page itself: one
 * object store keyed by id with the same indexes, read with `index.getAll(range, 50)`.
 * The clients never start sync: these are local reads and writes.
 */
import { deleteDB } from 'idb';
import { createSyncClient, defineCollections, type CollectionsClient, type DefinedCollections, type SyncClient } from '../../src/client/index.ts';
import type { QueryCursor } from '../../src/query/types.ts';
import { benchRecords, type BenchRecord } from '../../tools/records.ts';
import type { PulseQueryApi } from './query-api.ts';

/** Never contacted: sync is not started. */
const SERVER = { url: 'http://127.0.0.1:9', token: 'unused' };
const PAGE = 50;
const collections = defineCollections({ notes: { indexes: ['n'] }, live: { indexes: ['n'] } });

const clients = new Map<string, SyncClient>();
const databases = new Set<string>();
const now = (): number => performance.timeOrigin + performance.now();

/** The client of `name`: with `declared` collections (the collections worker), or none (the default worker). */
function sdkClient(name: string, declared: DefinedCollections | undefined): SyncClient {
  let found = clients.get(name);
  if (found === undefined) {
    found = createSyncClient({ name, ...SERVER, ...(declared === undefined ? {} : { collections: declared }) });
    clients.set(name, found);
    databases.add(name);
  }
  return found;
}

/** The client of `name` with the bench's collections. */
function client(name: string): CollectionsClient<typeof collections.declared> {
  // Made with `collections` the first time, so it is a collections client.
  return sdkClient(name, collections) as CollectionsClient<typeof collections.declared>;
}

/** A raw database: records by id, with an index per value path. */
function openRaw(name: string, paths: readonly string[]): Promise<IDBDatabase> {
  databases.add(name);
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore('records', { keyPath: 'id' });
      for (const path of paths) store.createIndex(path, `value.${path}`);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function rawPut(db: IDBDatabase, records: readonly BenchRecord[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction('records', 'readwrite');
    const store = tx.objectStore('records');
    for (const record of records) store.put({ id: record.id, value: record.value });
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error);
  });
}

const raws = new Map<string, IDBDatabase>();
const arrivals = new Map<number, number>();
const waiting = new Map<number, (at: number) => void>();
let fresh = 0;

const api: PulseQueryApi = {
  async seed({ name, count, bytes }) {
    const sdk = client(name);
    const raw = await openRaw(`${name}-raw`, ['n']);
    raws.set(name, raw);
    for (let from = 0; from < count; from += 10_000) {
      const chunk = benchRecords(Math.min(10_000, count - from), bytes, 'notes', from);
      await sdk.putMany(chunk);
      await rawPut(raw, chunk);
    }
  },

  async pages({ name, pages, fromN }) {
    const notes = client(name).collection('notes');
    const raw = raws.get(name) as IDBDatabase;
    const sdkMs: number[] = [];
    const rawMs: number[] = [];
    const countMs: number[] = [];
    let after: QueryCursor | undefined;
    let lastN = fromN - 1;
    // The SDK's first page starts at fromN too: a range on the same index.
    let first = true;
    for (let p = 0; p < pages; p++) {
      let t = performance.now();
      const page = await notes.query(first ? { where: { n: { gte: fromN } }, orderBy: 'n', limit: PAGE } : { orderBy: 'n', limit: PAGE, after });
      sdkMs.push(performance.now() - t);
      if (page.records.length !== PAGE) throw new Error(`SDK page ${p} has ${page.records.length} records`);
      after = page.next;
      first = false;
      t = performance.now();
      const rows = await new Promise<{ value: { n: number } }[]>((resolve, reject) => {
        const request = raw.transaction('records').objectStore('records').index('n').getAll(IDBKeyRange.lowerBound(lastN, true), PAGE);
        request.onsuccess = () => resolve(request.result as { value: { n: number } }[]);
        request.onerror = () => reject(request.error);
      });
      rawMs.push(performance.now() - t);
      if (rows.length !== PAGE) throw new Error(`raw page ${p} has ${rows.length} records`);
      lastN = (rows[rows.length - 1] as { value: { n: number } }).value.n;
      t = performance.now();
      await notes.count({ n: { gt: lastN, lte: lastN + PAGE } });
      countMs.push(performance.now() - t);
    }
    return { sdkMs, rawMs, countMs };
  },

  async putMany({ count, bytes, mode }) {
    const name = `bench-putmany-${mode}-${Date.now()}-${fresh++}`;
    const records = benchRecords(count, bytes, 'notes');
    if (mode === 'raw') {
      const db = await openRaw(name, ['n', 'title']);
      const t = performance.now();
      await rawPut(db, records);
      const ms = performance.now() - t;
      db.close();
      return ms;
    }
    const sdk = sdkClient(name, mode === 'indexed' ? defineCollections({ notes: { indexes: ['n', 'title'] } }) : undefined);
    await sdk.get('notes', 'warm-up'); // the worker up and the replica open, not timed
    const t = performance.now();
    await sdk.putMany(records);
    return performance.now() - t;
  },

  async watchCount({ name }) {
    client(name).collection('live').watchCount(undefined, (count) => {
      const at = now();
      arrivals.set(count, at);
      waiting.get(count)?.(at);
      waiting.delete(count);
    });
    await client(name).ready;
  },

  async openWriter({ name }) {
    await client(name).get('live', 'warm-up');
  },

  async write({ name, k }) {
    const sentAt = now();
    await client(name).collection('live').put(`k${String(k).padStart(6, '0')}`, { n: k });
    return sentAt;
  },

  countArrival({ count, timeoutMs }) {
    const seen = arrivals.get(count);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<number>((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(count);
        resolve(Number.NaN);
      }, timeoutMs);
      waiting.set(count, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  },

  async dispose() {
    for (const c of clients.values()) await c.close();
    clients.clear();
    for (const db of raws.values()) db.close();
    raws.clear();
    for (const name of databases) await deleteDB(name);
    databases.clear();
  },
};

window.pulseQuery = api;
document.title = 'pulsesync bench: query ready';
