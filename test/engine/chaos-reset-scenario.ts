/**
 * Seeded chaos with tombstone gc: replicas write, sync through a faulty transport and
 * go offline, while the server sweeps tombstones with a tiny horizon on a manual clock.
 * They push then pull (not pull alone: see the known gap in `client-reset.test.ts`,
 * which runs that pull alone hit in about 1 seed of 100), or, in a share of their syncs,
 * race their push and pull as the worker's managers can (`chaos-race.ts`: the pull's
 * answer held across the push's acknowledgement, the push's across a whole pull, or
 * both at once). Some replicas start offline: they write before they ever sync, and
 * their first sync pulls a snapshot from 0 across their first push. A replica away
 * longer than the horizon is refused `CURSOR_EXPIRED` and resets; one that has never
 * pulled learns of swept deletes from its first pull's snapshot. At the end every
 * replica holds what the server holds, none keeps a pending write, and under
 * last-write-wins the server holds, for every record, the newest write ever made to it
 * (no pending write was lost by a reset).
 *
 * Run by `chaos-reset.test.ts`. Every draw comes from the seed and the clocks are manual:
 * a seed replays exactly; `CHAOS_TRACE=notes/d` prints one record's story as it does.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { SyncManager } from '../../src/engine/sync-manager.ts';
import type { ResetEvent, SyncConfigInput } from '../../src/engine/types.ts';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import type { ConflictPolicy } from '../../src/protocol/types.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { createSyncServer } from '../../src/server/sync-server.ts';
import { openReplica } from '../../src/store/idb-replica.ts';
import { memoryDatabases, memoryReplica } from '../../src/store/memory-replica.ts';
import type { LocalStore } from '../../src/store/types.ts';
import { chaosTransport } from '../../src/testing/chaos-transport.ts';
import { seededRandom } from '../../src/testing/seeded-random.ts';
import { memoryTransport } from '../../src/transport/memory-transport.ts';
import type { SyncTransport } from '../../src/transport/types.ts';
import { drawRace, runRace, type RacePlan } from './chaos-race.ts';
import { trace, traceStep, traced } from './chaos-server.ts';

const COLLECTIVES = ['notes', 'todos'];
const IDS = ['a', 'b', 'c', 'd', 'e'];
const HORIZON_MS = 10;
const EXPECTED: ReadonlySet<string> = new Set([ErrorCode.TRANSPORT]);

/** What the seeds did, summed to prove the features ran. */
export interface Totals {
  resets: number;
  dropped: number;
  sweeps: number;
  races: number;
  offlineStarts: number;
}

/** Fresh totals. */
export const emptyTotals = (): Totals => ({ resets: 0, dropped: 0, sweeps: 0, races: 0, offlineStarts: 0 });

/** A seed's policy and replica kind: odd seeds last-write-wins, even server-wins; every other pair on IndexedDB. */
export function resetSeedShape(seed: number): { readonly policy: ConflictPolicy; readonly idb: boolean } {
  return { policy: seed % 2 === 1 ? 'last-write-wins' : 'server-wins', idb: seed % 4 >= 2 };
}

/** Runs the scenario of `seed`, adding to `totals`; returns its broken promises (none when all is well). */
export async function runResetScenario(seed: number, totals: Totals): Promise<string[]> {
  const { policy, idb } = resetSeedShape(seed);
  const random = seededRandom(seed);
  const problems: string[] = [];
  let now = 1_000;
  const server = createSyncServer({ store: memoryServerStore(), now: () => now, tombstoneHorizonMs: HORIZON_MS, gcIntervalMs: 0 });
  const databases = memoryDatabases();
  const indexedDB = new IDBFactory();
  /** Per record: the newest write made anywhere (hlc, value; null for a delete). */
  const newest = new Map<string, { hlc: string; value: unknown }>();
  /** A manager of `store` whose reset events are counted, and a failed reset a problem. */
  const managerOf = (index: number, store: LocalStore, transport: SyncTransport, config: SyncConfigInput = {}) => {
    const manager = new SyncManager(store, transport, { conflictResolution: policy, batchSize: 3, ...config });
    manager.on('reset', (event: ResetEvent) => {
      if (!('phase' in event)) return;
      if (event.phase === 'done') {
        totals.resets += 1;
        totals.dropped += event.dropped ?? 0;
      }
      if (event.phase === 'failed') problems.push(`replica ${index}: reset failed (${event.cause})`);
    });
    return manager;
  };
  const replicas = await Promise.all(
    [0, 1, 2].map(async (index) => {
      const name = `reset-${seed}-${index}`;
      const store: LocalStore = idb ? await openReplica({ name, indexedDB, IDBKeyRange, now: () => now }) : await memoryReplica({ name, databases, now: () => now });
      const transport = chaosTransport(traced(memoryTransport(server), index), { seed: seed * 10 + index, dropRequestRate: 0.1, dropResponseRate: 0.1, duplicateRate: 0.05 });
      return { index, store, transport, manager: managerOf(index, store, transport), offline: false, startsOffline: false };
    }),
  );
  type Replica = (typeof replicas)[number];
  const judged = async (replica: Replica, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      const code = SyncError.from(error).code;
      traceStep(`R${replica.index} sync failed: ${String(error)}`);
      if (!EXPECTED.has(code)) problems.push(`replica ${replica.index}: sync failed ${code}: ${String(error)}`);
    }
  };
  const sync = (replica: Replica) => judged(replica, () => replica.manager.syncOnce());
  /** The replica's push and pull race (`chaos-race.ts`), each on a one-way manager of its own. */
  const race = (replica: Replica, plan: RacePlan) => {
    totals.races += 1;
    traceStep(`R${replica.index} race ${plan.kind}`);
    return runRace(plan, replica.transport, (direction, transport) => {
      const manager = managerOf(replica.index, replica.store, transport, { direction });
      return () => judged(replica, () => manager.syncOnce()).finally(() => manager.stop());
    });
  };
  const write = async (replica: Replica, step: number) => {
    const collective = random.pick(COLLECTIVES);
    const id = random.pick(IDS);
    const value = random.chance(0.3) ? null : `${replica.index}:${step}`;
    trace(`${collective}/${id}`, `R${replica.index} writes ${JSON.stringify(value)} at step ${step}`);
    const [logged] = await replica.store.write([value === null ? { op: 'delete', collective, id } : { op: 'put', collective, id, value }]);
    const key = `${collective}/${id}`;
    if (logged !== undefined && (newest.get(key)?.hlc ?? '') < logged.hlc) newest.set(key, { hlc: logged.hlc, value });
    now += 1;
  };
  // Some replicas start offline: writes before any sync, their pull cursor at 0.
  for (const replica of replicas) {
    if (!random.chance(0.4)) continue;
    replica.startsOffline = true;
    totals.offlineStarts += 1;
    for (let n = random.int(1, 3); n > 0; n--) await write(replica, -n);
  }
  for (let step = 0; step < 80; step++) {
    const replica = random.pick(replicas);
    const roll = random.next();
    if (roll < 0.4) {
      await write(replica, step);
    } else if (roll < 0.75) {
      if (replica.offline) continue;
      if (replica.startsOffline) {
        replica.startsOffline = false;
        await race(replica, drawRace(random, 'pull-held'));
      } else if (random.chance(0.3)) await race(replica, drawRace(random));
      else await sync(replica);
    } else if (roll < 0.87) {
      replica.offline = !replica.offline;
    } else {
      now += HORIZON_MS * 2;
      const { removed } = await server.collectGarbage();
      traceStep(`step ${step}: gc removed ${removed} tombstones`);
      totals.sweeps += removed > 0 ? 1 : 0;
    }
  }
  for (const replica of replicas) replica.transport.setFaults(false);
  for (let round = 0; round < 3; round++) for (const replica of replicas) await sync(replica);
  const page = await server.store.readChanges({ after: 0, limit: 10_000 });
  const live = page.rows.filter((row) => row.op === 'put');
  const held = new Map(live.map((row) => [`${row.collective}/${row.id}`, row.op === 'put' ? row.value : null]));
  const heldHlc = new Map(live.map((row) => [`${row.collective}/${row.id}`, row.hlc]));
  const expected = JSON.stringify([...held].sort());
  for (const replica of replicas) {
    const pending = await replica.store.pendingCount();
    if (pending > 0) problems.push(`replica ${replica.index} still has ${pending} pending writes`);
    const local: [string, unknown][] = [];
    for (const collective of COLLECTIVES) for (const entry of await replica.store.list(collective)) local.push([`${collective}/${entry.id}`, entry.value]);
    if (JSON.stringify(local.sort()) !== expected) problems.push(`replica ${replica.index} holds ${JSON.stringify(local)}, the server ${expected}`);
  }
  if (policy === 'last-write-wins') {
    for (const [key, write] of newest) {
      // A put older than a delete whose tombstone was swept may come back: nothing is left
      // on the server to refuse it (the horizon's documented price), so only a newest put
      // can be lost.
      if (write.value === null && heldHlc.has(key)) continue;
      if ((held.get(key) ?? null) !== write.value) problems.push(`${key}: the newest write ${JSON.stringify(write.value)} was lost (server: ${JSON.stringify(held.get(key))})`);
    }
  }
  for (const replica of replicas) await replica.manager.stop();
  return problems;
}

