/**
 * What a replica may do in one step of a chaos scenario, as a table with weights: write,
 * sync in its several ways, run its background loops for a while, share its database
 * with a second tab, crash. A new kind of step is one more entry. Every random draw of an
 * action is made before its first `await`, so the draws of concurrent replicas come in
 * a fixed order and a seed replays.
 */
import type { SyncManager } from '../../src/engine/sync-manager.ts';
import type { SyncConfigInput } from '../../src/engine/types.ts';
import type { LocalStore, LocalWrite } from '../../src/store/types.ts';
import type { ChaosStats, ChaosTransport } from '../../src/testing/chaos-transport.ts';
import type { SeededRandom } from '../../src/testing/seeded-random.ts';
import type { SyncTransport } from '../../src/transport/types.ts';
import { pickWeighted, type ChaosWrite } from './chaos-ops.ts';
import { drawRace, runRace, type RaceKind, type RacePlan } from './chaos-race.ts';
import type { ReplicaShape } from './chaos-shape.ts';

/** What happened in a scenario, summed over seeds to prove every feature ran. */
export interface ScenarioStats extends ChaosStats {
  writes: number;
  conflicts: number;
  crashes: number;
  secondTabs: number;
  backgroundRuns: number;
  /** Races of a replica's push and pull (`chaos-race.ts`), and replicas that wrote before their first sync. */
  races: number;
  offlineStarts: number;
  /** Seeds over the real HTTP server. */
  httpSeeds: number;
  /** Replicas syncing only some collectives. */
  filteredReplicas: number;
  /** Seeds with the custom resolver, and the merges it made. */
  resolverSeeds: number;
  resolverMerges: number;
  /** Replicas whose user may not write some collective, their writes there, and the receipts that said `FORBIDDEN`. */
  restrictedReplicas: number;
  /** Collectives a replica syncs but may only read, and those it may not even read (see `View`). */
  readOnlyViews: number;
  ownViews: number;
  forbiddenWrites: number;
  forbiddenReported: number;
  /**
   * Records a replica ends up holding as its own refused write made them, unlike the
   * server (a collective it may read but not write): what the engine does today, not a
   * feature, so it may be 0.
   */
  refusedHeld: number;
  /** Changes that reached the server more than once (a lost answer, a duplicate): each read as its first answer said. */
  resentChanges: number;
}

/** Stats of nothing yet. */
export function emptyStats(): ScenarioStats {
  return {
    calls: 0, droppedRequests: 0, droppedResponses: 0, duplicated: 0, lateDuplicated: 0, delayed: 0,
    writes: 0, conflicts: 0, crashes: 0, secondTabs: 0, backgroundRuns: 0, races: 0, offlineStarts: 0,
    httpSeeds: 0, filteredReplicas: 0, resolverSeeds: 0, resolverMerges: 0, restrictedReplicas: 0, readOnlyViews: 0, ownViews: 0, forbiddenWrites: 0, forbiddenReported: 0,
    refusedHeld: 0, resentChanges: 0,
  };
}

/** One replica of a running scenario. */
export interface ChaosReplica {
  readonly index: number;
  readonly shape: ReplicaShape;
  store: LocalStore;
  /** Opens its database again (after a crash, or as a second tab). */
  readonly open: () => Promise<LocalStore>;
  readonly chaos: ChaosTransport;
  /** It wrote before it ever synced: its first step is a race whose pull (a snapshot from 0) is held across the push. */
  startsOffline: boolean;
}

/** What actions use of the running scenario. */
export interface ScenarioContext {
  readonly random: SeededRandom;
  readonly stats: ScenarioStats;
  /** A manager of `replica` over `store` (default its own) and `transport` (default its chaos transport), configured for the seed. */
  manager(replica: ChaosReplica, store?: LocalStore, config?: SyncConfigInput, transport?: SyncTransport): SyncManager;
  /** Runs one manager call; a fault is fine, anything else is noted. Stops the manager after. */
  faultsOnly(replica: ChaosReplica, sync: SyncManager, run: (sync: SyncManager) => Promise<unknown>): Promise<void>;
  /** Writes through `write()` (patches through `patch()`); a failure is a problem unless `mayFail` (a crash may catch it). */
  write(replica: ChaosReplica, writes: readonly ChaosWrite[], mayFail: boolean): Promise<void>;
  /** Writes the puts of `writes` through `putMany()`. */
  putMany(replica: ChaosReplica, writes: readonly LocalWrite[]): Promise<void>;
  /** Draws 1–4 writes to the collectives the replica syncs. */
  drawWrites(replica: ChaosReplica): ChaosWrite[];
}

/** One kind of step. */
export interface ChaosAction {
  readonly name: string;
  readonly weight: number;
  run(s: ScenarioContext, replica: ChaosReplica): Promise<void>;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Waits `count` turns of the event loop. */
export async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await turn();
}

const syncOnce = (s: ScenarioContext, replica: ChaosReplica, store?: LocalStore) => s.faultsOnly(replica, s.manager(replica, store), (m) => m.syncOnce());

/** The replica's push and pull race each other as `plan` says (`chaos-race.ts`): two one-way managers of its database. */
export function race(s: ScenarioContext, replica: ChaosReplica, plan: RacePlan): Promise<void> {
  s.stats.races += 1;
  return runRace(plan, replica.chaos, (direction, transport) => {
    const sync = s.manager(replica, undefined, { direction }, transport);
    return () => s.faultsOnly(replica, sync, (m) => m.syncOnce());
  });
}

const raceAction = (kind: RaceKind, weight: number): ChaosAction => ({ name: `race ${kind}`, weight, run: (s, replica) => race(s, replica, drawRace(s.random, kind)) });

/** Every action, weighted (the races took 6 of the 17 of `syncOnce`, so a seed syncs about as often as before). */
export const CHAOS_ACTIONS: readonly ChaosAction[] = [
  { name: 'write', weight: 30, run: (s, replica) => s.write(replica, s.drawWrites(replica), false) },
  { name: 'putMany', weight: 8, run: (s, replica) => s.putMany(replica, s.drawWrites(replica).filter((w): w is LocalWrite => w.op === 'put')) },
  { name: 'syncOnce', weight: 11, run: (s, replica) => syncOnce(s, replica) },
  // A replica's push and pull overlap (two managers of its database): see `chaos-race.ts`.
  raceAction('pull-held', 4),
  raceAction('push-held', 2),
  raceAction('together', 3),
  { name: 'initialSync', weight: 7, run: (s, replica) => s.faultsOnly(replica, s.manager(replica), (m) => m.initialSync()) },
  { name: 'push-only', weight: 5, run: (s, replica) => s.faultsOnly(replica, s.manager(replica, undefined, { direction: 'push-only' }), (m) => m.syncOnce()) },
  {
    // The user keeps typing while a sync runs.
    name: 'write during sync',
    weight: 9,
    async run(s, replica) {
      const writes = s.drawWrites(replica);
      const wait = s.random.int(0, 30);
      const syncing = syncOnce(s, replica);
      await turns(wait);
      await s.write(replica, writes, false);
      await syncing;
    },
  },
  {
    // A second tab syncs the same database at the same time (a leader handover gone
    // wrong): cursors are checked in the store's transactions, pushes are idempotent.
    name: 'second tab',
    weight: 7,
    async run(s, replica) {
      s.stats.secondTabs += 1;
      const first = s.manager(replica);
      const tab = await replica.open();
      await Promise.all([s.faultsOnly(replica, first, (m) => m.syncOnce()), syncOnce(s, replica, tab)]);
      tab.close();
    },
  },
  {
    // The background loops run for a while (timers in turns), then stop mid-cycle.
    name: 'background',
    weight: 8,
    run(s, replica) {
      s.stats.backgroundRuns += 1;
      const runFor = s.random.int(0, 120);
      const direction = s.random.pick(['bidirectional', 'bidirectional', 'push-only', 'pull-only'] as const);
      return s.faultsOnly(replica, s.manager(replica, undefined, { direction }), async (m) => {
        await m.start();
        await turns(runFor);
      });
    },
  },
  {
    // Crash: the database closes some turns into a sync (a write may be caught too), then reopens.
    name: 'crash',
    weight: 9,
    async run(s, replica) {
      s.stats.crashes += 1;
      const wait = s.random.int(0, 40);
      const writes = s.random.chance(0.5) ? s.drawWrites(replica) : [];
      const writeAt = s.random.int(0, 40);
      const syncing = syncOnce(s, replica);
      const writing = writes.length === 0 ? undefined : turns(writeAt).then(() => s.write(replica, writes, true));
      await turns(wait);
      replica.store.close();
      await syncing;
      await writing;
      replica.store = await replica.open();
    },
  },
];

/**
 * Draws one action for `replica` and runs it; a replica that wrote before it ever
 * synced starts with its first pull (a snapshot from 0) held across its push.
 */
export function act(s: ScenarioContext, replica: ChaosReplica): Promise<void> {
  if (replica.startsOffline) {
    replica.startsOffline = false;
    return race(s, replica, drawRace(s.random, 'pull-held'));
  }
  return pickWeighted(s.random, CHAOS_ACTIONS).run(s, replica);
}
