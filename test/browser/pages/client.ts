/**
 * client.html: `window.pulse` (see client-api.ts) over pulsesync's `createSyncClient`,
 * one client per replica name, each recording its events for the Node test to read.
 */
import { createSyncClient, type SyncClient } from '../../../src/client/index.ts';
import { defineCollections, startFullWorker } from '../../../src/client/with-collections-worker.ts';
import type { CollectionsClient } from '../../../src/client/types.ts';
import { SyncError } from '../../../src/protocol/errors.ts';
import type { SyncErrorData } from '../../../src/protocol/errors.ts';
import type { SyncProgress, SyncStatus } from '../../../src/protocol/types.ts';
import type { AckEvent } from '../../../src/engine/acks.ts';
import type { ConflictInfo, ResetEvent } from '../../../src/engine/types.ts';
import type { ClientEventLog, InitialSyncOutcome, LongTaskReport, PulsePageApi } from './client-api.ts';
import { LOSE_CONNECTION_CHANNEL, type LoseConnectionAnswer, type LoseConnectionRequest } from './lost-connection-api.ts';
import './page-api.ts';

interface Recorder {
  status: SyncStatus[];
  progress: SyncProgress[];
  changedRecords: number;
  conflicts: number;
  conflictEvents: ConflictInfo[];
  errors: SyncErrorData[];
  initialSync: InitialSyncOutcome | undefined;
  acks: AckEvent[];
  resets: ResetEvent[];
}

interface Opened {
  readonly client: SyncClient;
  /** The worker, when the page made it (`ownWorker`), so it can be terminated. */
  readonly worker: Worker | undefined;
  log: Recorder;
}

const clients = new Map<string, Opened>();

function emptyLog(): Recorder {
  return { status: [], progress: [], changedRecords: 0, conflicts: 0, conflictEvents: [], errors: [], initialSync: undefined, acks: [], resets: [] };
}

/**
 * Runs a client call; a failure comes out as `[CODE] message`, because only the message
 * of an error crosses `page.evaluate`.
 */
async function call<T>(name: string, what: (client: SyncClient) => Promise<T>): Promise<T> {
  try {
    return await what(opened(name).client);
  } catch (error) {
    const data = asData(error);
    throw new Error(`[${data.code}] ${data.message}`);
  }
}

function opened(name: string): Opened {
  const found = clients.get(name);
  if (found === undefined) throw new Error(`no client "${name}" is open in this page`);
  return found;
}

/** Errors cross to Node as text; keep the code in it. */
function asData(error: unknown): SyncErrorData {
  return SyncError.from(error).toJSON();
}

function recordId(i: number): string {
  return `r${String(i).padStart(7, '0')}`;
}

let databaseOpens = 0;
let longTaskObserver: PerformanceObserver | undefined;
let longTaskEntries: PerformanceEntry[] = [];

const api: PulsePageApi = {
  async open(options) {
    if (clients.has(options.name)) throw new Error(`client "${options.name}" is already open`);
    // The same module the client starts by default, made here so the test can kill it.
    const worker =
      options.losableWorker === true
        ? new Worker(new URL('./lost-connection-worker.ts', import.meta.url), { type: 'module' })
        : options.ownWorker === true
          ? new Worker(new URL('../../../worker/default-worker.ts', import.meta.url), { type: 'module' })
          : options.fullWorker === true
            ? startFullWorker()
            : undefined;
    const client = createSyncClient({
      name: options.name,
      url: options.url,
      token: options.token,
      ...(options.persist === undefined ? {} : { persist: options.persist }),
      ...(options.config === undefined ? {} : { config: options.config }),
      ...(worker === undefined ? {} : { worker }),
      ...(options.collections === undefined ? {} : { collections: defineCollections(Object.fromEntries(options.collections.map((c) => [c, {}]))) }),
    });
    const entry: Opened = { client, worker, log: emptyLog() };
    client.on('status', (status) => entry.log.status.push(status));
    client.on('progress', (progress) => entry.log.progress.push(progress));
    client.on('change', (change) => {
      entry.log.changedRecords += change.changes.length;
    });
    client.on('conflict', (conflict) => {
      entry.log.conflicts++;
      entry.log.conflictEvents.push(conflict);
    });
    client.on('error', (error) => entry.log.errors.push(error));
    client.on('ack', (ack) => entry.log.acks.push(ack));
    client.on('reset', (reset) => entry.log.resets.push(reset));
    clients.set(options.name, entry);
    await call(options.name, (c) => c.ready);
  },
  put: (name, collective, id, value) => call(name, (c) => c.put(collective, id, value)),
  putMany: (name, records) => call(name, (c) => c.putMany(records)),
  remove: (name, collective, id) => call(name, (c) => c.delete(collective, id)),
  patch: (name, collective, id, fields) => call(name, (c) => c.patch(collective, id, fields)),
  explain: (name, collective, id) => call(name, (c) => c.explain(collective, id)),
  whenPushed: (name, receipt) => call(name, (c) => c.whenPushed(receipt)),
  pending: (name) => call(name, (c) => c.pending()),
  pendingIds: (name, collective) => call(name, (c) => c.pendingIds(collective)),
  clearLocalData: (name, options) => call(name, (c) => c.clearLocalData(options)),
  instanceId: (name) => call(name, (c) => c.instanceId()),
  databases: async () => (await indexedDB.databases()).flatMap((d) => (d.name === undefined ? [] : [d.name])),
  list: (name, collective) => call(name, (c) => c.list(collective)),
  async query(name, collection, query) {
    const page = await call(name, (c) => (c as CollectionsClient).collection(collection).query(query));
    const ids = page.records.map((r) => r.id);
    return page.next === undefined ? { ids } : { ids, next: page.next };
  },
  countDatabaseOpens() {
    const open = IDBFactory.prototype.open;
    databaseOpens = 0;
    IDBFactory.prototype.open = function (this: IDBFactory, ...args: Parameters<IDBFactory['open']>) {
      databaseOpens++;
      return open.apply(this, args);
    };
  },
  databaseOpens: () => databaseOpens,
  async census(name, collective, expected) {
    const records = await call(name, (c) => c.list(collective));
    const ids = new Set(records.map((r) => r.id));
    const missing: string[] = [];
    let missingCount = 0;
    for (let i = 0; i < (expected ?? 0); i++) {
      if (ids.has(recordId(i))) continue;
      missingCount++;
      if (missing.length < 10) missing.push(recordId(i));
    }
    // Seeded values carry their index as `n` (tools/records.ts): a value under the wrong id shows here.
    const wrongValues = records.filter((r) => {
      const n = (r.value as { n?: unknown } | null)?.n;
      return typeof n === 'number' && recordId(n) !== r.id;
    }).length;
    return { count: records.length, distinctIds: ids.size, missing, missingCount, wrongValues };
  },
  start: (name) => call(name, (c) => c.start()),
  stop: (name) => call(name, (c) => c.stop()),
  syncOnce: (name) => call(name, (c) => c.syncOnce()),
  initialSync: (name) => call(name, (c) => c.initialSync()),
  beginInitialSync(name) {
    const entry = opened(name);
    const log = entry.log;
    log.initialSync = { state: 'running' };
    entry.client.initialSync().then(
      (progress) => {
        log.initialSync = { state: 'done', progress };
      },
      (error: unknown) => {
        log.initialSync = { state: 'failed', error: asData(error) };
      },
    );
  },
  status: async (name) => opened(name).client.status(),
  events: (name): ClientEventLog => opened(name).log,
  clearEvents(name) {
    opened(name).log = emptyLog();
  },
  async close(name) {
    const entry = opened(name);
    clients.delete(name);
    await entry.client.close();
  },
  terminate(name) {
    const entry = opened(name);
    if (entry.worker === undefined) throw new Error(`client "${name}" was not opened with ownWorker`);
    clients.delete(name);
    entry.worker.terminate();
    // Releases the proxies; the worker is already gone, so this does not wait for it.
    void entry.client.close();
  },
  loseConnection: (name, how) =>
    new Promise<number>((resolve) => {
      const channel = new BroadcastChannel(LOSE_CONNECTION_CHANNEL);
      const id = crypto.randomUUID();
      channel.onmessage = (event: MessageEvent<LoseConnectionAnswer>) => {
        if (event.data.id !== id) return;
        channel.close();
        resolve(event.data.closed);
      };
      channel.postMessage({ id, name, how } satisfies LoseConnectionRequest);
    }),
  deleteDatabase: (name) =>
    new Promise<number>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(name);
      let blockedAt: number | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      request.onsuccess = () => {
        clearTimeout(timer);
        resolve(blockedAt === undefined ? 0 : performance.now() - blockedAt);
      };
      request.onerror = () => reject(request.error ?? new Error(`deleting ${name} failed`));
      // Blocked is not failed: the delete goes through once the last connection closes. A
      // worker killed a moment ago may still hold one (WebKit lets it go later, once more
      // than 10 s under load). After 10 s this answers -1 and leaves the queued delete to
      // finish on its own: the caller's checks are done, and the next trial uses another name.
      request.onblocked = () => {
        blockedAt = performance.now();
        timer = setTimeout(() => resolve(-1), 10_000);
      };
    }),
  watchLongTasks() {
    longTaskObserver?.disconnect();
    longTaskEntries = [];
    longTaskObserver = new PerformanceObserver((list) => {
      longTaskEntries.push(...list.getEntries());
    });
    longTaskObserver.observe({ type: 'longtask', buffered: false });
  },
  blockMainThread(ms) {
    // In a task of its own: work run by page.evaluate (DevTools) is not reported as a long task.
    setTimeout(() => {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        // busy on purpose: a long task the watch must see
      }
    }, 0);
  },
  longTasks(): LongTaskReport {
    if (longTaskObserver !== undefined) longTaskEntries.push(...longTaskObserver.takeRecords());
    const entries = longTaskEntries.map((entry) => ({
      startMs: entry.startTime,
      durationMs: entry.duration,
      attribution: JSON.stringify((entry as PerformanceEntry & { attribution?: unknown }).attribution ?? null),
    }));
    return { count: entries.length, longestMs: Math.max(0, ...entries.map((e) => e.durationMs)), entries };
  },
};

window.pulse = api;
window.testPageReady = true;
