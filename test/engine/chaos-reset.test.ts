/**
 * Seeded chaos with tombstone gc: replicas write, sync through a faulty transport and
 * go offline, while the server sweeps tombstones with a tiny horizon on a manual clock.
 * They push then pull (not pull alone: see the known gap in `client-reset.test.ts`,
 * which runs that pull alone hit in about 1 seed of 100). A replica away
 * longer than the horizon is refused `CURSOR_EXPIRED` and resets; one that has never
 * pulled learns of swept deletes from its first pull's snapshot. At the end every
 * replica holds what the server holds, none keeps a pending write, and under
 * last-write-wins the server holds, for every record, the newest write ever made to it
 * (no pending write was lost by a reset).
 *
 * `CHAOS_RESET_SEEDS=1000 npx vitest run test/engine/chaos-reset.test.ts` runs more
 * seeds (default 150), from `CHAOS_FIRST_SEED` (default 1); `CHAOS_SEED=7` replays one.
 * Odd seeds last-write-wins, even server-wins; every other pair on IndexedDB.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { SyncManager } from '../../src/engine/sync-manager.ts';
import type { ResetEvent } from '../../src/engine/types.ts';
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

const COLLECTIVES = ['notes', 'todos'];
const IDS = ['a', 'b', 'c', 'd', 'e'];
const HORIZON_MS = 10;
const EXPECTED: ReadonlySet<string> = new Set([ErrorCode.TRANSPORT]);

interface Totals {
  resets: number;
  dropped: number;
  sweeps: number;
}

async function scenario(seed: number, policy: ConflictPolicy, idb: boolean, totals: Totals): Promise<string[]> {
  const random = seededRandom(seed);
  const problems: string[] = [];
  let now = 1_000;
  const server = createSyncServer({ store: memoryServerStore(), now: () => now, tombstoneHorizonMs: HORIZON_MS, gcIntervalMs: 0 });
  const databases = memoryDatabases();
  const indexedDB = new IDBFactory();
  /** Per record: the newest write made anywhere (hlc, value; null for a delete). */
  const newest = new Map<string, { hlc: string; value: unknown }>();
  const replicas = await Promise.all(
    [0, 1, 2].map(async (index) => {
      const name = `reset-${seed}-${index}`;
      const store: LocalStore = idb ? await openReplica({ name, indexedDB, IDBKeyRange, now: () => now }) : await memoryReplica({ name, databases, now: () => now });
      const transport = chaosTransport(memoryTransport(server), { seed: seed * 10 + index, dropRequestRate: 0.1, dropResponseRate: 0.1, duplicateRate: 0.05 });
      const manager = new SyncManager(store, transport, { conflictResolution: policy, batchSize: 3 });
      manager.on('reset', (event: ResetEvent) => {
        if (!('phase' in event)) return;
        if (event.phase === 'done') {
          totals.resets += 1;
          totals.dropped += event.dropped ?? 0;
        }
        if (event.phase === 'failed') problems.push(`replica ${index}: reset failed (${event.cause})`);
      });
      return { index, store, transport, manager, offline: false };
    }),
  );
  const sync = async (replica: (typeof replicas)[number]) => {
    try {
      await replica.manager.syncOnce();
    } catch (error) {
      const code = SyncError.from(error).code;
      if (!EXPECTED.has(code)) problems.push(`replica ${replica.index}: sync failed ${code}: ${String(error)}`);
    }
  };
  for (let step = 0; step < 80; step++) {
    const replica = random.pick(replicas);
    const roll = random.next();
    if (roll < 0.4) {
      const collective = random.pick(COLLECTIVES);
      const id = random.pick(IDS);
      const value = random.chance(0.3) ? null : `${replica.index}:${step}`;
      const [logged] = await replica.store.write([value === null ? { op: 'delete', collective, id } : { op: 'put', collective, id, value }]);
      const key = `${collective}/${id}`;
      if (logged !== undefined && (newest.get(key)?.hlc ?? '') < logged.hlc) newest.set(key, { hlc: logged.hlc, value });
      now += 1;
    } else if (roll < 0.75) {
      if (!replica.offline) await sync(replica);
    } else if (roll < 0.87) {
      replica.offline = !replica.offline;
    } else {
      now += HORIZON_MS * 2;
      totals.sweeps += (await server.collectGarbage()).removed > 0 ? 1 : 0;
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

function seedList(): number[] {
  const one = process.env['CHAOS_SEED'];
  if (one !== undefined && one !== '') return [Number(one)];
  const count = Number(process.env['CHAOS_RESET_SEEDS'] ?? 150);
  const first = Number(process.env['CHAOS_FIRST_SEED'] ?? 1);
  return Array.from({ length: count }, (_, i) => first + i);
}

describe('chaos with tombstone gc and client resets', () => {
  const totals: Totals = { resets: 0, dropped: 0, sweeps: 0 };
  const seeds = seedList();
  for (const seed of seeds) {
    const policy: ConflictPolicy = seed % 2 === 1 ? 'last-write-wins' : 'server-wins';
    const idb = seed % 4 >= 2;
    it(`every replica converges for seed ${seed} (${policy}, ${idb ? 'IndexedDB' : 'memory'}; replay with CHAOS_SEED=${seed})`, async () => {
      const problems = await scenario(seed, policy, idb, totals);
      expect(problems, `seed ${seed} broke its promises; replay with CHAOS_SEED=${seed}`).toEqual([]);
    });
  }
  it.runIf(seeds.length >= 20)('swept tombstones, reset replicas and dropped records they missed the delete of', () => {
    console.log('chaos-reset totals', JSON.stringify(totals));
    expect(totals.sweeps).toBeGreaterThan(0);
    expect(totals.resets).toBeGreaterThan(0);
    expect(totals.dropped).toBeGreaterThan(0);
  });
});
