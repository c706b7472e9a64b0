/**
 * One seeded chaos scenario: 3–5 replicas (clocks skewed) write at random and sync in
 * random order through a chaos transport (lost requests, responses lost after the
 * server applied, duplicates at once and late, delays), while replicas crash mid-sync, a
 * second tab syncs the same database at the same time, writes land during syncs,
 * background loops start and stop, and a replica's push and pull race each other with
 * one's answer held across the other (`chaos-actions.ts`, `chaos-race.ts`); some
 * replicas start offline, with writes and no sync yet. The seed also draws its shape
 * (`chaos-shape.ts`): the real HTTP server instead of the in-process one, users refused
 * some collectives, replicas syncing only some collectives, a custom resolver. Then
 * faults stop, every replica syncs until the server stops changing, and the end state
 * is checked against the model of every write made (`chaos-checks.ts`).
 *
 * Every random draw comes from the seed, timers and delays count event-loop turns, not
 * milliseconds, and the clocks count readings (`scenarioClock`), so an in-process seed
 * without users replays the same way (over HTTP the network's own timing may reorder
 * concurrent calls, and with users so may the server's WebCrypto, which signs instance
 * keys off the event loop); `CHAOS_TRACE=collective/id` prints one record's story.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { SyncManager } from '../../src/engine/sync-manager.ts';
import { ErrorCode, SyncError, type SyncErrorData } from '../../src/protocol/errors.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import type { ServerRecord, ServerStore } from '../../src/server/types.ts';
import { openReplica } from '../../src/store/idb-replica.ts';
import type { LocalStore, LocalWrite } from '../../src/store/types.ts';
import { chaosTransport } from '../../src/testing/chaos-transport.ts';
import { seededRandom } from '../../src/testing/seeded-random.ts';
import { act, type ChaosReplica, type ScenarioContext, type ScenarioStats } from './chaos-actions.ts';
import { checkAppliedSeqs, checkReplicas, checkResolverWrites, checkServer, readReceipts, type EndState } from './chaos-checks.ts';
import { key, recordingEngineWrites, WriteModel } from './chaos-model.ts';
import { COLLECTIVES, drawWrites } from './chaos-ops.ts';
import type { ChaosPolicy } from './chaos-policies.ts';
import { chaosResolver, type ResolverAnswer } from './chaos-resolver.ts';
import { startChaosServer, trace, traced } from './chaos-server.ts';
import { collectivesOf, drawShape, mayWrite, viewOf, type SeedShape, type ShapeOverrides } from './chaos-shape.ts';

/** Errors a fault or a crash may cause; anything else is a bug (but `FORBIDDEN` where the user may not write). */
const EXPECTED_CODES: ReadonlySet<string> = new Set([ErrorCode.TRANSPORT, ErrorCode.DATABASE_CLOSED]);
/** Calm rounds: at least this many, then until a round commits nothing, at most the cap. */
const CALM_ROUNDS = 3;
const MAX_CALM_ROUNDS = 12;

/** A delay of `ms` turns of the event loop: reorders concurrent calls, costs no time. */
function turnsTimer(callback: () => void, ms: number): void {
  let left = ms;
  const spin = () => (left-- <= 0 ? callback() : setImmediate(spin));
  spin();
}

/**
 * The scenario's wall clock: real time at the start, then one millisecond more at each
 * reading, so timestamps follow the order of events and not the speed of the machine
 * (with `Date.now` the order of two replicas' writes, and so who wins, could differ
 * between two runs of a seed).
 */
function scenarioClock(): () => number {
  const start = Date.now();
  let readings = 0;
  return () => start + ++readings;
}

/** The replica's `patch`, which only a replica with field-level records has (see `ChaosPolicy.fields`). */
function patchOf(store: LocalStore): NonNullable<LocalStore['patch']> {
  if (store.patch === undefined) throw new Error('the policy draws patches: its replicas need field-level records (ChaosPolicy.fields)');
  return store.patch.bind(store);
}

/** Timers for background loops in turns: 0 ms is one turn, 50 ms one more turn, capped. */
function turnTimers(now: () => number) {
  return {
    now,
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

/** Options of {@link runChaosScenario}. */
export interface ScenarioOptions extends ShapeOverrides {
  /** The server's store; default a fresh memory store. */
  readonly makeServerStore?: () => ServerStore;
}

/** What a scenario found: its broken promises (none when all is well) and the seed's shape. */
export interface ScenarioResult {
  readonly problems: string[];
  readonly shape: SeedShape;
}

/** Runs the scenario of `seed` under `policy`, adding what happened to `stats`. */
export async function runChaosScenario(seed: number, policy: ChaosPolicy, stats: ScenarioStats, options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const random = seededRandom(seed);
  const problems: string[] = [];
  const replicaCount = random.int(3, 5);
  const shape = drawShape(random, replicaCount, options);
  const model = new WriteModel((replica, collective) => mayWrite(shape.replicas[replica] as SeedShape['replicas'][number], collective));
  const answers: ResolverAnswer[] = [];
  const server = await startChaosServer(shape, (options.makeServerStore ?? memoryServerStore)());
  const now = scenarioClock();
  let writeCount = 0;

  const replicas: ChaosReplica[] = [];
  try {
    for (const [index, replicaShape] of shape.replicas.entries()) {
      const indexedDB = new IDBFactory();
      const skew = random.int(-3000, 3000); // device clocks disagree
      const open = () => openReplica({ name: `chaos-${seed}-${index}`, indexedDB, IDBKeyRange, now: () => now() + skew, ...(policy.fields === undefined ? {} : { fields: policy.fields }) });
      const chaos = chaosTransport(traced(server.transportFor(replicaShape), index), {
        seed: random.int(0, 2 ** 31 - 1),
        dropRequestRate: 0.1,
        dropResponseRate: 0.15,
        duplicateRate: 0.1,
        lateDuplicateRate: 0.05,
        lateDuplicateDelayMs: 40,
        delayMs: 4,
        setTimeout: turnsTimer,
      });
      replicas.push({ index, shape: replicaShape, store: await open(), open, chaos, startsOffline: false });
    }
    countShape(shape, stats);

    /** Is this error one the seed may cause? A refusal only where the replica's user may not write. */
    const expectedError = (replica: ChaosReplica, error: Pick<SyncErrorData, 'code' | 'details' | 'message'>): boolean => {
      if (EXPECTED_CODES.has(error.code)) return true;
      const collective = (error.details as { collective?: unknown } | undefined)?.collective;
      return error.code === ErrorCode.FORBIDDEN && typeof collective === 'string' && !mayWrite(replica.shape, collective);
    };

    const s: ScenarioContext = {
      random,
      stats,
      manager(replica, store = replica.store, config = {}, transport = replica.chaos) {
        const sync = new SyncManager(
          recordingEngineWrites(store, model, replica.index),
          transport,
          {
            conflictResolution: policy.conflictResolution,
            batchSize: random.pick([1, 2, 3, 4, 500]),
            pushIntervalMs: 100,
            pullIntervalMs: 150,
            ...(replica.shape.collectives === undefined ? {} : { collectives: replica.shape.collectives }),
            ...(shape.resolver ? { resolver: chaosResolver(replica.index, answers) } : {}),
            ...config,
          },
          turnTimers(now),
        );
        sync.on('error', (error) => {
          if (!expectedError(replica, error)) problems.push(`replica ${replica.index}: error event ${error.code}: ${error.message}`);
        });
        sync.on('conflict', (c) => {
          stats.conflicts += 1;
          if (c.outcome === 'merged') stats.resolverMerges += 1;
          trace(key(c.collective, c.id), `R${replica.index} conflict settled: ${c.outcome}, ${c.reason}`);
        });
        return sync;
      },
      async faultsOnly(replica, sync, run) {
        try {
          await run(sync);
        } catch (error) {
          const data = SyncError.from(error).toJSON();
          if (!(error instanceof SyncError) || !expectedError(replica, data)) problems.push(`replica ${replica.index}: threw ${data.code}: ${String(error)}`);
        } finally {
          await sync.stop();
        }
      },
      async write(replica, writes, mayFail) {
        // Puts and deletes in one transaction; a patch (one record's) in one of its own.
        const whole = writes.filter((w): w is LocalWrite => w.op !== 'patch');
        const patches = writes.flatMap((w) => (w.op === 'patch' ? [w] : []));
        const calls = patches.length === 0 ? [() => replica.store.write(whole)] : [...(whole.length === 0 ? [] : [() => replica.store.write(whole)]), ...patches.map((p) => () => patchOf(replica.store)(p.collective, p.id, p.fields))];
        for (const call of calls) {
          try {
            const logged = await call();
            for (const c of logged) trace(key(c.collective, c.id), `R${replica.index} write seq ${c.seq} ${JSON.stringify(c.op === 'patch' ? c.fields : c.value)} base v${c.baseVersion}`);
            const made = model.logged(replica.index, logged, 'app');
            if (logged.length > 0) {
              const receipt = { instanceId: replica.store.instanceId, firstSeq: (logged[0] as (typeof logged)[number]).seq, seq: (logged[logged.length - 1] as (typeof logged)[number]).seq };
              model.receipts.push({ replica: replica.index, receipt, writes: made });
            }
            countWrites(made, stats);
          } catch (error) {
            if (!mayFail || !(error instanceof SyncError) || error.code !== ErrorCode.DATABASE_CLOSED) {
              problems.push(`replica ${replica.index}: a write threw ${String(error)}`);
            }
            for (const w of writes) if (w.op === 'put') model.failed.push(w);
          }
        }
      },
      async putMany(replica, writes) {
        // `putMany` returns nothing: seqs and the timestamp are read back (nothing else
        // writes to this replica meanwhile; its changes are numbered in order).
        const records = writes.flatMap((w) => (w.op === 'put' ? [{ collective: w.collective, id: w.id, value: w.value }] : []));
        if (records.length === 0) return;
        await replica.store.putMany(records);
        const { lastSeq } = await replica.store.identity();
        const firstSeq = lastSeq - records.length + 1;
        const hlc = (await replica.store.get(records[0]?.collective as string, records[0]?.id as string))?.hlc ?? 'missing';
        const source = replica.store.instanceId;
        const made = model.logged(replica.index, records.map((r, i) => ({ ...r, op: 'put' as const, hlc, source, seq: firstSeq + i })), 'app');
        model.receipts.push({ replica: replica.index, receipt: { instanceId: source, firstSeq, seq: lastSeq }, writes: made });
        countWrites(made, stats);
      },
      drawWrites: (replica) => drawWrites(random, collectivesOf(replica.shape), () => ({ w: `${replica.index}-${++writeCount}`, n: writeCount }), policy.ops),
    };

    // Some replicas start offline: they write before they ever sync (their cursor at 0),
    // and their first step pulls a snapshot across their first push (see `act`).
    for (const replica of replicas) {
      if (!random.chance(0.3)) continue;
      replica.startsOffline = true;
      stats.offlineStarts += 1;
      for (let batch = random.int(1, 3); batch > 0; batch--) await s.write(replica, s.drawWrites(replica), false);
    }

    const steps = random.int(15, 30);
    for (let step = 0; step < steps; step++) {
      await Promise.all(replicas.map((replica) => (random.chance(0.7) ? act(s, replica) : undefined)));
    }

    // Calm: no faults; late copies land; every replica syncs, round after round, until
    // a round commits nothing and leaves nothing to push (a resolver's merge is a new
    // write that travels too, and a pull can ask for one in a round that committed
    // nothing: a write pushed the round before overruled one this replica had pushed).
    for (const replica of replicas) replica.chaos.setFaults(false);
    for (const replica of replicas) await replica.chaos.drain();
    const waiting = async () => (await Promise.all(replicas.map((replica) => replica.store.pendingCount()))).some((count) => count > 0);
    for (let round = 0, before = -1, left = false; round < CALM_ROUNDS || before !== server.committed.length || left; round++) {
      if (round === MAX_CALM_ROUNDS) {
        problems.push(`the server still changed (or writes still waited) after ${MAX_CALM_ROUNDS} calm rounds`);
        break;
      }
      before = server.committed.length;
      for (const replica of replicas) await s.faultsOnly(replica, s.manager(replica, replica.store, { batchSize: 3 }), (m) => m.syncOnce());
      left = await waiting();
    }
    for (const replica of replicas) {
      await replica.chaos.drain();
      for (const name of ['calls', 'droppedRequests', 'droppedResponses', 'duplicated', 'lateDuplicated', 'delayed'] as const) stats[name] += replica.chaos.stats[name];
    }
    if (problems.length > 0) return { problems, shape };

    const page = await server.store.readChanges({ after: 0, limit: 1_000_000 });
    const serverRows = new Map<string, ServerRecord>(page.rows.map((row) => [key(row.collective, row.id), row]));
    const state: EndState = { policy, model, answers, server, replicas };
    stats.refusedHeld += await checkReplicas(state, serverRows, problems);
    const readings = await readReceipts(state, problems);
    checkServer(state, serverRows, readings, problems);
    stats.forbiddenReported += readings.forbiddenReported;
    for (const count of server.deliveries.values()) if (count > 1) stats.resentChanges += 1;
    await checkAppliedSeqs(state, problems);
    checkResolverWrites(state, problems);
    return { problems, shape };
  } finally {
    for (const replica of replicas) replica.store.close();
    await server.close();
  }
}

function countShape(shape: SeedShape, stats: ScenarioStats): void {
  if (shape.transport === 'http') stats.httpSeeds += 1;
  if (shape.resolver) stats.resolverSeeds += 1;
  for (const replica of shape.replicas) {
    if (replica.collectives !== undefined) stats.filteredReplicas += 1;
    if (collectivesOf(replica).some((collective) => !mayWrite(replica, collective))) stats.restrictedReplicas += 1;
    for (const collective of COLLECTIVES) {
      const view = viewOf(replica, collective);
      if (view === 'read-only') stats.readOnlyViews += 1;
      if (view === 'own') stats.ownViews += 1;
    }
  }
}

function countWrites(made: readonly { readonly forbidden: boolean }[], stats: ScenarioStats): void {
  stats.writes += made.length;
  stats.forbiddenWrites += made.filter((w) => w.forbidden).length;
}
