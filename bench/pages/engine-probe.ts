/**
 * The sync engine without the worker: `SyncManager.initialSync` in the page over the
 * real HTTP transport and a fresh replica, with the time spent in each step summed —
 * the pull requests (network, server, JSON, validation), `applyRemote` (the store) and
 * the other store calls. Beside the SDK figure it shows what the worker and Comlink add,
 * and whether the steps run one after another or overlap.
 */
import { SyncManager } from '../../src/engine/index.ts';
import { openReplica, type LocalStore } from '../../src/store/index.ts';
import { httpTransport } from '../../src/transport/http-transport.ts';
import type { SyncTransport } from '../../src/transport/index.ts';
import { deleteDb, freshName } from './plain-idb.ts';

/** Where one in-page initial sync spent its time, ms. */
export interface EngineSyncRun {
  readonly ms: number;
  readonly pulled: number;
  readonly batches: number;
  /** Summed time inside `transport.pull` (request, server, response, JSON, validation). */
  readonly pullMs: number;
  /** Summed time inside `replica.applyRemote`. */
  readonly applyMs: number;
  /** Summed time inside the other replica calls the engine made (cursor reads…). */
  readonly otherStoreMs: number;
}

/** Wraps every function-valued property so the time until its promise settles is added to `into`. */
function timed<T extends object>(target: T, into: (name: string, ms: number) => void): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const start = performance.now();
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(object, args);
        if (result instanceof Promise) return result.finally(() => into(String(property), performance.now() - start));
        into(String(property), performance.now() - start);
        return result;
      };
    },
  });
}

/** Runs `initialSync` in the page with batches of `batch`; see {@link EngineSyncRun}. */
export async function engineInitialSync(options: { url: string; token: string; batch: number }): Promise<EngineSyncRun> {
  const name = freshName('engine');
  const replica = await openReplica({ name });
  const spent = new Map<string, number>();
  const add = (key: string, ms: number): void => void spent.set(key, (spent.get(key) ?? 0) + ms);
  let batches = 0;
  const transport = timed<SyncTransport>(httpTransport({ url: options.url, getToken: () => options.token, live: false }), (method, ms) => {
    if (method === 'pull') batches++;
    add(`transport.${method}`, ms);
  });
  const store = timed<LocalStore>(replica, (method, ms) => add(`store.${method}`, ms));
  const manager = new SyncManager(store, transport, { batchSize: options.batch });
  try {
    const start = performance.now();
    const progress = await manager.initialSync();
    const ms = performance.now() - start;
    let otherStoreMs = 0;
    for (const [key, value] of spent) if (key.startsWith('store.') && key !== 'store.applyRemote') otherStoreMs += value;
    return {
      ms,
      pulled: progress.totalPulled,
      batches,
      pullMs: spent.get('transport.pull') ?? 0,
      applyMs: spent.get('store.applyRemote') ?? 0,
      otherStoreMs,
    };
  } finally {
    await manager.stop();
    replica.close();
    await deleteDb(name);
  }
}
