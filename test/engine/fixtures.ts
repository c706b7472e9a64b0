/**
 * Real pieces for engine tests: fake-indexeddb replicas (`openReplica`), an in-memory
 * sync server (`createSyncServer` + `memoryServerStore`) and the memory transport,
 * plus a transport wrapper a test can script (fail, hold, record calls).
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { vi } from 'vitest';
import { SyncManager, type SyncManagerOptions } from '../../src/engine/sync-manager.ts';
import type { SyncConfigInput } from '../../src/engine/types.ts';
import { createSyncServer } from '../../src/server/sync-server.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import type { LocalStore } from '../../src/store/types.ts';
import { openReplica } from '../../src/store/idb-replica.ts';
import { memoryTransport } from '../../src/transport/memory-transport.ts';
import type { SyncTransport } from '../../src/transport/types.ts';
import { wrapTransport, type TransportOperation, type TransportRequest } from '../../src/transport/wrap-transport.ts';

export type TestServer = ReturnType<typeof createSyncServer>;

/** A fresh server over a fresh memory store. */
export function newServer(): { server: TestServer; store: ReturnType<typeof memoryServerStore> } {
  const store = memoryServerStore();
  return { server: createSyncServer({ store }), store };
}

let replicaCount = 0;

/**
 * A replica in its own fake IndexedDB; `reopen()` opens the same database again.
 * `now` is the wall clock of its hybrid logical clock (default `Date.now`).
 */
export async function newReplica(
  name = `replica-${++replicaCount}`,
  options: { readonly now?: () => number } = {},
): Promise<{
  replica: LocalStore;
  reopen: () => Promise<LocalStore>;
}> {
  const indexedDB = new IDBFactory();
  const open = () => openReplica({ name, indexedDB, IDBKeyRange, ...options });
  return { replica: await open(), reopen: open };
}

/** A manager over the memory transport (or the given one). */
export function connect(
  replica: LocalStore,
  transport: SyncTransport,
  config: SyncConfigInput = {},
  options: SyncManagerOptions = {},
): SyncManager {
  return new SyncManager(replica, transport, config, options);
}

export { memoryTransport };

/** One call a scripted transport saw: its operation, request and (fake or real) time. */
export interface ScriptedCall<Op extends TransportOperation = TransportOperation> {
  readonly op: Op;
  readonly request: TransportRequest<Op>;
  readonly at: number;
}

/**
 * Wraps a transport so a test can fail or hold chosen calls and see every request.
 * `fail(op, error, times)` makes the next `times` calls of `op` throw `error`;
 * `hold(op)` makes the next call of `op` wait until the returned function is called.
 */
export function scriptedTransport(inner: SyncTransport) {
  const calls: ScriptedCall[] = [];
  const failures = new Map<TransportOperation, { error: unknown; times: number }>();
  const holds = new Map<TransportOperation, Promise<void>>();
  const transport = wrapTransport(inner, {
    async call({ operation, request, send }) {
      calls.push({ op: operation, request, at: Date.now() });
      const gate = holds.get(operation);
      if (gate !== undefined) {
        holds.delete(operation);
        await gate;
      }
      const failure = failures.get(operation);
      if (failure !== undefined && failure.times > 0) {
        failure.times -= 1;
        throw failure.error;
      }
      return send();
    },
  });
  return {
    transport,
    calls,
    callsOf: <Op extends TransportOperation>(op: Op) => calls.filter((c): c is ScriptedCall<Op> => c.op === op),
    fail(op: TransportOperation, error: unknown, times = Number.POSITIVE_INFINITY) {
      failures.set(op, { error, times });
    },
    heal(op: TransportOperation) {
      failures.delete(op);
    },
    hold(op: TransportOperation): () => void {
      let release!: () => void;
      holds.set(op, new Promise<void>((resolve) => (release = resolve)));
      return release;
    },
  };
}

/**
 * Lets real macrotasks run (fake-indexeddb works on setImmediate, which fake timers
 * leave alone) until `condition` holds; fails after many turns instead of hanging.
 * Under fake timers it also fires timers already due (a "run soon" is a 0 ms timer),
 * never moving the clock.
 */
export async function until(condition: () => boolean, what = 'condition'): Promise<void> {
  for (let turn = 0; turn < 5000; turn++) {
    if (condition()) return;
    if (vi.isFakeTimers()) vi.advanceTimersByTime(0);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`until: ${what} never became true`);
}

/** Lets pending IndexedDB work and promise chains run for a while. */
export async function settle(turns = 50): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
