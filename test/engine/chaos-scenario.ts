/**
 * One seeded chaos scenario: 3–5 replicas (clocks skewed) write at random and sync in
 * random order through a chaos transport (lost requests, responses lost after the
 * server applied, duplicates at once and late, delays), while replicas crash mid-sync, a second tab
 * syncs the same database at the same time, writes land during syncs and background
 * loops start and stop. Then faults stop, every replica syncs a few rounds, and the
 * result is checked against a model of every write made. Every random draw comes from
 * the seed, and timers and delays count event-loop turns, not milliseconds, so a seed
 * replays the same way; `CHAOS_TRACE=collective/id` prints one record's story.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { peerKey } from '../../src/engine/peer-key.ts';
import { SyncManager } from '../../src/engine/sync-manager.ts';
import type { SyncConfigInput } from '../../src/engine/types.ts';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import type { ConflictPolicy } from '../../src/protocol/types.ts';
import { createSyncServer } from '../../src/server/sync-server.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import type { ServerRecord, ServerStore } from '../../src/server/types.ts';
import { openReplica } from '../../src/store/idb-replica.ts';
import type { LocalStore, LocalWrite } from '../../src/store/types.ts';
import { chaosTransport, type ChaosStats, type ChaosTransport } from '../../src/testing/chaos-transport.ts';
import { memoryTransport } from '../../src/transport/memory-transport.ts';
import type { SyncTransport } from '../../src/transport/types.ts';
import { seededRandom } from '../../src/testing/seeded-random.ts';

const COLLECTIVES = ['notes', 'todos', 'tags'];
const IDS = ['a', 'b', 'c', 'd', 'e', 'f'];
/** Errors a fault or a crash may cause; anything else is a bug. */
const EXPECTED_CODES: ReadonlySet<string> = new Set([ErrorCode.TRANSPORT, ErrorCode.DATABASE_CLOSED]);

/** What happened in a scenario, summed over seeds to prove the chaos was real. */
export interface ScenarioStats extends ChaosStats {
  writes: number;
  conflicts: number;
  crashes: number;
  secondTabs: number;
  backgroundRuns: number;
}

/** One write as the test remembers it; `source` + `hlc` identify it. */
interface ModelWrite {
  readonly key: string;
  readonly source: string;
  readonly hlc: string;
  readonly op: 'put' | 'delete';
  readonly writeId?: string;
}

interface ChaosReplica {
  readonly index: number;
  store: LocalStore;
  readonly open: () => Promise<LocalStore>;
  readonly chaos: ChaosTransport;
}

const key = (collective: string, id: string) => `${collective}/${id}`;
const identity = (source: string, hlc: string) => `${source}@${hlc}`;
/** One write of one record: its source, its timestamp and the record. */
const writeKey = (source: string, hlc: string, record: string) => `${identity(source, hlc)}#${record}`;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await turn();
}

/** A delay of `ms` turns of the event loop: reorders concurrent calls, costs no time. */
function turnsTimer(callback: () => void, ms: number): void {
  let left = ms;
  const spin = () => (left-- <= 0 ? callback() : setImmediate(spin));
  spin();
}

/** Timers for background loops in turns: 0 ms is one turn, 50 ms one more turn, capped. */
function turnTimers() {
  return {
    setTimeout(callback: () => void, ms: number): unknown {
      const handle = { cancelled: false };
      turnsTimer(() => {
        if (!handle.cancelled) callback();
      }, Math.min(1 + Math.floor(ms / 50), 100));
      return handle;
    },
    clearTimeout(handle: unknown): void {
      (handle as { cancelled: boolean }).cancelled = true;
    },
  };
}

/** `CHAOS_TRACE=notes/d` prints the story of one record while a seed replays. */
const TRACED = process.env['CHAOS_TRACE'];

function trace(record: string, line: string): void {
  if (record === TRACED) console.log(`[${record}] ${line}`);
}

/** Traces what crosses the wire about the traced record. */
function traced(transport: SyncTransport, index: number): SyncTransport {
  if (TRACED === undefined) return transport;
  const { push, pull } = transport;
  return {
    ...transport,
    async push(request) {
      const response = await push(request);
      for (const c of request.changes) trace(key(c.collective, c.id), `R${index} pushed seq ${c.seq} ${JSON.stringify(c.value)} base v${c.baseVersion}; acked up to ${response.ackedSeq}`);
      for (const c of response.conflicts) trace(key(c.collective, c.id), `R${index} conflict on seq ${c.seq}: server holds ${JSON.stringify(c.server?.value)} v${c.server?.version}`);
      return response;
    },
    async pull(request) {
      const response = await pull(request);
      for (const c of response.changes) trace(key(c.collective, c.id), `R${index} pulled ${JSON.stringify(c.value)} v${c.version} (cursor ${request.cursor} → ${response.newCursor})`);
      return response;
    },
  };
}

/** Wraps a server store to see every row written, in commit order. */
function recordingStore(inner: ServerStore, committed: ServerRecord[]): ServerStore {
  return {
    kind: inner.kind,
    serverId: () => inner.serverId(),
    secret: () => inner.secret(),
    readChanges: (query) => inner.readChanges(query),
    latestVersion: () => inner.latestVersion(),
    latestVersionIn: (collectives) => inner.latestVersionIn(collectives),
    listCollectives: () => inner.listCollectives(),
    getInstance: (instanceId) => inner.getInstance(instanceId),
    onCommit: (listener) => inner.onCommit(listener),
    close: () => inner.close(),
    async transaction(fn) {
      const written: ServerRecord[] = [];
      const result = await inner.transaction((tx) =>
        fn({
          getRecords: (keys) => tx.getRecords(keys),
          getAppliedSeq: (source) => tx.getAppliedSeq(source),
          setAppliedSeq: (source, seq) => tx.setAppliedSeq(source, seq),
          getInstance: (instanceId) => tx.getInstance(instanceId),
          putInstance: (record) => tx.putInstance(record),
          async writeRecords(rows) {
            const out = await tx.writeRecords(rows);
            written.push(...out);
            return out;
          },
        }),
      );
      committed.push(...written);
      return result;
    },
  };
}

/**
 * Runs the scenario of `seed` under `policy`, on a fresh server store (memory by
 * default). Returns the list of broken promises (empty when all is well) so the caller
 * can print them with the seed.
 */
export async function runChaosScenario(
  seed: number,
  policy: ConflictPolicy,
  stats: ScenarioStats,
  makeServerStore: () => ServerStore = memoryServerStore,
): Promise<string[]> {
  const random = seededRandom(seed);
  const problems: string[] = [];
  const committed: ServerRecord[] = [];
  const serverStore = recordingStore(makeServerStore(), committed);
  const server = createSyncServer({ store: serverStore });
  const model: ModelWrite[] = [];
  /** Writes that failed (a crash): they must not show up anywhere. */
  const failedWrites: string[] = [];
  let writeCount = 0;

  const replicas: ChaosReplica[] = [];
  const replicaCount = random.int(3, 5);
  for (let index = 0; index < replicaCount; index++) {
    const indexedDB = new IDBFactory();
    const skew = random.int(-3000, 3000); // device clocks disagree
    const open = () => openReplica({ name: `chaos-${seed}-${index}`, indexedDB, IDBKeyRange, now: () => Date.now() + skew });
    const inner = traced(memoryTransport(server), index);
    const chaos = chaosTransport(inner, {
      seed: random.int(0, 2 ** 31 - 1),
      dropRequestRate: 0.1,
      dropResponseRate: 0.15,
      duplicateRate: 0.1,
      lateDuplicateRate: 0.05,
      lateDuplicateDelayMs: 40,
      delayMs: 4,
      setTimeout: turnsTimer,
    });
    replicas.push({ index, store: await open(), open, chaos });
  }

  function manager(replica: ChaosReplica, store: LocalStore, config: SyncConfigInput = {}): SyncManager {
    const sync = new SyncManager(
      store,
      replica.chaos,
      { conflictResolution: policy, batchSize: random.pick([1, 2, 3, 4, 500]), pushIntervalMs: 100, pullIntervalMs: 150, ...config },
      turnTimers(),
    );
    sync.on('error', (error) => {
      if (!EXPECTED_CODES.has(error.code)) problems.push(`replica ${replica.index}: error event ${error.code}: ${error.message}`);
    });
    sync.on('conflict', (c) => {
      stats.conflicts += 1;
      trace(key(c.collective, c.id), `R${replica.index} conflict settled: ${c.outcome}, ${c.reason}`);
    });
    return sync;
  }

  /** Runs one manager call; a fault is fine, anything else is noted. Stops the manager after. */
  async function faultsOnly(replica: ChaosReplica, sync: SyncManager, run: (sync: SyncManager) => Promise<unknown>): Promise<void> {
    try {
      await run(sync);
    } catch (error) {
      const code = error instanceof SyncError ? error.code : 'not a SyncError';
      if (!EXPECTED_CODES.has(code)) problems.push(`replica ${replica.index}: threw ${code}: ${String(error)}`);
    } finally {
      await sync.stop();
    }
  }

  /** Draws 1–4 writes, each record at most once (one transaction's changes share a timestamp). */
  function drawWrites(replica: ChaosReplica): LocalWrite[] {
    const count = random.chance(0.3) ? random.int(2, 4) : 1;
    const writes = new Map<string, LocalWrite>();
    for (let i = 0; i < count; i++) {
      const collective = random.pick(COLLECTIVES);
      const id = random.pick(IDS);
      const write: LocalWrite = random.chance(0.2)
        ? { op: 'delete', collective, id }
        : { op: 'put', collective, id, value: { w: `${replica.index}-${++writeCount}` } };
      writes.set(key(collective, id), write);
    }
    return [...writes.values()];
  }

  /** Writes through `write()`, which returns the logged changes with their timestamps. */
  async function write(replica: ChaosReplica, writes: readonly LocalWrite[], mayFail: boolean): Promise<void> {
    try {
      const logged = await replica.store.write(writes);
      for (const c of logged) trace(key(c.collective, c.id), `R${replica.index} write seq ${c.seq} ${JSON.stringify(c.value)} base v${c.baseVersion}`);
      for (const change of logged) {
        const writeId = (change.value as { w?: string } | undefined)?.w;
        model.push({ key: key(change.collective, change.id), source: change.source, hlc: change.hlc, op: change.op, ...(writeId === undefined ? {} : { writeId }) });
      }
      stats.writes += logged.length;
    } catch (error) {
      if (!mayFail || !(error instanceof SyncError) || error.code !== ErrorCode.DATABASE_CLOSED) {
        problems.push(`replica ${replica.index}: a write threw ${String(error)}`);
      }
      for (const w of writes) if (w.op === 'put') failedWrites.push((w.value as { w: string }).w);
    }
  }

  /** `putMany` returns nothing: the timestamps are read back (nothing else runs on this replica meanwhile). */
  async function putMany(replica: ChaosReplica, writes: readonly LocalWrite[]): Promise<void> {
    const records = writes.map((w) => ({ collective: w.collective, id: w.id, value: { w: `${replica.index}-${++writeCount}` } }));
    await replica.store.putMany(records);
    for (const record of records) {
      const entry = await replica.store.get(record.collective, record.id);
      model.push({ key: key(record.collective, record.id), source: replica.store.instanceId, hlc: entry?.hlc ?? 'missing', op: 'put', writeId: record.value.w });
    }
    stats.writes += records.length;
  }

  /** Plans an action with every random draw made now, then runs it. */
  function act(replica: ChaosReplica): Promise<void> {
    const roll = random.next();
    if (roll < 0.3) return write(replica, drawWrites(replica), false);
    if (roll < 0.38) return putMany(replica, drawWrites(replica).filter((w) => w.op === 'put'));
    if (roll < 0.55) return faultsOnly(replica, manager(replica, replica.store), (m) => m.syncOnce());
    if (roll < 0.62) return faultsOnly(replica, manager(replica, replica.store), (m) => m.initialSync());
    if (roll < 0.67) return faultsOnly(replica, manager(replica, replica.store, { direction: 'push-only' }), (m) => m.syncOnce());
    if (roll < 0.76) {
      // The user keeps typing while a sync runs.
      const writes = drawWrites(replica);
      const wait = random.int(0, 30);
      return (async () => {
        const syncing = faultsOnly(replica, manager(replica, replica.store), (m) => m.syncOnce());
        await turns(wait);
        await write(replica, writes, false);
        await syncing;
      })();
    }
    if (roll < 0.83) {
      // A second tab syncs the same database at the same time (a leader handover gone
      // wrong): cursors are checked in the store's transactions, pushes are idempotent.
      stats.secondTabs += 1;
      return (async () => {
        const tab = await replica.open();
        await Promise.all([
          faultsOnly(replica, manager(replica, replica.store), (m) => m.syncOnce()),
          faultsOnly(replica, manager(replica, tab), (m) => m.syncOnce()),
        ]);
        tab.close();
      })();
    }
    if (roll < 0.91) {
      // The background loops run for a while (timers in turns), then stop mid-cycle.
      stats.backgroundRuns += 1;
      const runFor = random.int(0, 120);
      const direction = random.pick(['bidirectional', 'bidirectional', 'push-only', 'pull-only'] as const);
      return faultsOnly(replica, manager(replica, replica.store, { direction }), async (m) => {
        await m.start();
        await turns(runFor);
      });
    }
    // Crash: the database closes some turns into a sync (a write may be caught too), then reopens.
    stats.crashes += 1;
    const wait = random.int(0, 40);
    const writes = random.chance(0.5) ? drawWrites(replica) : [];
    const writeAt = random.int(0, 40);
    return (async () => {
      const syncing = faultsOnly(replica, manager(replica, replica.store), (m) => m.syncOnce());
      const writing = writes.length === 0 ? undefined : turns(writeAt).then(() => write(replica, writes, true));
      await turns(wait);
      replica.store.close();
      await syncing;
      await writing;
      replica.store = await replica.open();
    })();
  }

  const steps = random.int(15, 30);
  for (let step = 0; step < steps; step++) {
    await Promise.all(replicas.map((replica) => (random.chance(0.7) ? act(replica) : undefined)));
  }

  // Calm: no faults, every replica syncs three times round.
  for (const replica of replicas) replica.chaos.setFaults(false);
  for (let round = 0; round < 3; round++) {
    for (const replica of replicas) await faultsOnly(replica, manager(replica, replica.store, { batchSize: 3 }), (m) => m.syncOnce());
  }
  for (const replica of replicas) {
    await replica.chaos.drain(); // late copies still on their way reach the server before the checks
    for (const name of ['calls', 'droppedRequests', 'droppedResponses', 'duplicated', 'lateDuplicated', 'delayed'] as const) stats[name] += replica.chaos.stats[name];
  }
  if (problems.length > 0) return problems;

  const page = await serverStore.readChanges({ after: 0, limit: 1_000_000 });
  const serverRows = new Map<string, ServerRecord>(page.rows.map((row) => [key(row.collective, row.id), row]));

  // 1. Every replica equals the server, with nothing left to push.
  for (const replica of replicas) {
    const pending = await replica.store.pendingCount();
    if (pending !== 0) problems.push(`replica ${replica.index}: ${pending} changes never pushed`);
    for (const collective of COLLECTIVES) {
      const local = JSON.stringify((await replica.store.list(collective)).map((r) => [r.id, r.value, r.hlc]));
      const expected = JSON.stringify(
        [...serverRows.values()]
          .filter((row) => row.collective === collective && row.op === 'put')
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .map((row) => [row.id, row.value, row.hlc]),
      );
      if (local !== expected) problems.push(`replica ${replica.index}, ${collective}: holds ${local}, the server ${expected}`);
    }
  }

  // 2. Nothing applied twice, nothing made up: each write reached the server at most once.
  const made = new Map(model.map((w) => [writeKey(w.source, w.hlc, w.key), w]));
  const seen = new Set<string>();
  for (const row of committed) {
    const id = writeKey(row.source, row.hlc, key(row.collective, row.id));
    if (seen.has(id)) problems.push(`${key(row.collective, row.id)}: the write ${identity(row.source, row.hlc)} was applied twice`);
    seen.add(id);
    const write = made.get(id);
    if (write === undefined) problems.push(`${key(row.collective, row.id)}: the server holds a write nobody made (${identity(row.source, row.hlc)})`);
    else if (write.op !== row.op || (write.writeId !== undefined && (row.value as { w?: string } | undefined)?.w !== write.writeId)) {
      problems.push(`${key(row.collective, row.id)}: the server changed the write ${write.writeId ?? write.op}`);
    }
  }
  for (const failed of failedWrites) {
    if (committed.some((row) => (row.value as { w?: string } | undefined)?.w === failed)) problems.push(`the write ${failed} failed yet reached the server`);
  }

  // 3. Every acknowledged write is there, unless a later write to the record superseded it.
  const byKey = new Map<string, ModelWrite[]>();
  for (const w of model) byKey.set(w.key, [...(byKey.get(w.key) ?? []), w]);
  const committedByKey = new Map<string, ServerRecord[]>();
  for (const row of committed) {
    const k = key(row.collective, row.id);
    committedByKey.set(k, [...(committedByKey.get(k) ?? []), row]);
  }
  const later = (a: { hlc: string; source: string }, b: { hlc: string; source: string }) => a.hlc > b.hlc || (a.hlc === b.hlc && a.source > b.source);
  for (const [recordKey, writes] of byKey) {
    const row = serverRows.get(recordKey);
    if (row === undefined) {
      problems.push(`${recordKey}: written ${writes.length} times, missing on the server`);
      continue;
    }
    const rows = committedByKey.get(recordKey) ?? [];
    for (const w of writes) {
      if (seen.has(writeKey(w.source, w.hlc, w.key))) continue;
      const superseded =
        policy === 'last-write-wins'
          ? rows.some((r) => later(r, w))
          : rows.some((r) => r.source !== w.source || r.hlc > w.hlc);
      if (!superseded) problems.push(`${recordKey}: the acknowledged write ${w.writeId ?? w.op} (${identity(w.source, w.hlc)}) is lost`);
    }
    if (policy === 'last-write-wins') {
      const latest = writes.reduce((a, b) => (later(b, a) ? b : a));
      if (row.hlc !== latest.hlc || row.source !== latest.source) {
        problems.push(`${recordKey}: last-write-wins kept ${identity(row.source, row.hlc)}, not the latest ${identity(latest.source, latest.hlc)}`);
      }
    }
  }
  if (serverRows.size !== byKey.size) problems.push(`the server has ${serverRows.size} records, the writes touched ${byKey.size}`);

  // 4. The server's applied seq per replica is exactly what the replica saw acknowledged.
  const peer = peerKey(await serverStore.serverId(), undefined);
  for (const replica of replicas) {
    const applied = await serverStore.transaction((tx) => tx.getAppliedSeq(replica.store.instanceId));
    const acked = await replica.store.pushCursor(peer);
    if (applied !== acked) problems.push(`replica ${replica.index}: the server applied up to seq ${applied}, the replica saw ${acked} acknowledged`);
  }
  for (const replica of replicas) replica.store.close();
  await server.close();
  return problems;
}
