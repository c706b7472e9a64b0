/**
 * Seeded interleavings of server-wins with a merging resolver: 3 replicas add tags to
 * two shared records and sync in random order (syncOnce, push-only runs, background
 * loops stopped mid-cycle; requests delayed so concurrent calls reorder). Then every
 * replica syncs in rounds until the server stops changing, and each must equal the server with nothing left to push, and
 * the resolver must never have been asked about a state its own merge already held
 * (that is one conflict resolved twice).
 *
 * `MERGE_SEEDS=500 npx vitest run test/engine/server-wins-merge-chaos.test.ts` runs more
 * seeds (default 30); `MERGE_SEED=12 …` replays one.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { SyncManager } from '../../src/engine/sync-manager.ts';
import type { ConflictResolver, SyncConfigInput } from '../../src/engine/types.ts';
import type { JsonValue } from '../../src/protocol/types.ts';
import { createSyncServer } from '../../src/server/sync-server.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { openReplica } from '../../src/store/idb-replica.ts';
import type { LocalStore } from '../../src/store/types.ts';
import { chaosTransport } from '../../src/testing/chaos-transport.ts';
import { memoryTransport } from '../../src/transport/memory-transport.ts';
import { seededRandom } from '../../src/testing/seeded-random.ts';
import type { SyncTransport } from '../../src/transport/types.ts';

const IDS = ['a', 'b'];

function seedList(): number[] {
  const one = process.env['MERGE_SEED'];
  if (one !== undefined && one !== '') return [Number(one)];
  return Array.from({ length: Number(process.env['MERGE_SEEDS'] ?? 30) }, (_, i) => i + 1);
}

const tagsOf = (value: JsonValue | undefined): string[] => (Array.isArray(value) ? value.map(String) : []);

/** A delay of `ms` turns of the event loop: reorders concurrent calls, costs no time. */
function turnsTimer(callback: () => void, ms: number): void {
  let left = Math.min(ms, 100);
  const spin = () => (left-- <= 0 ? callback() : setImmediate(spin));
  spin();
}

const turns = async (count: number) => {
  for (let i = 0; i < count; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

async function runSeed(seed: number): Promise<string[]> {
  const random = seededRandom(seed);
  const problems: string[] = [];
  const serverStore = memoryServerStore();
  const server = createSyncServer({ store: serverStore });
  const resolver: ConflictResolver = ({ collective, id, local, remote }) => {
    const mine = new Set(tagsOf(local.value));
    const theirs = tagsOf(remote?.value);
    if (theirs.length > 0 && theirs.every((tag) => mine.has(tag))) {
      problems.push(`${collective}/${id}: the resolver was asked again about ${JSON.stringify(theirs)}, which its merge ${JSON.stringify([...mine])} already held`);
    }
    return { value: [...new Set([...mine, ...theirs])].sort() };
  };
  const replicas: { store: LocalStore; transport: SyncTransport }[] = [];
  for (let i = 0; i < 3; i++) {
    const store = await openReplica({ name: `merge-${seed}-${i}`, indexedDB: new IDBFactory(), IDBKeyRange });
    replicas.push({ store, transport: chaosTransport(memoryTransport(server), { seed: random.int(0, 2 ** 31 - 1), delayMs: 4, setTimeout: turnsTimer }) });
  }
  const manager = (r: (typeof replicas)[number], config: SyncConfigInput = {}) => {
    const sync = new SyncManager(
      r.store,
      r.transport,
      { conflictResolution: 'server-wins', resolver, batchSize: random.pick([1, 3, 500]), pushIntervalMs: 100, pullIntervalMs: 150, ...config },
      {
        setTimeout: (callback, ms) => {
          const handle = { cancelled: false };
          turnsTimer(() => handle.cancelled || callback(), 1 + Math.floor(ms / 50));
          return handle;
        },
        clearTimeout: (handle) => void ((handle as { cancelled: boolean }).cancelled = true),
      },
    );
    sync.on('error', (error) => problems.push(`error event ${error.code}: ${error.message}`));
    return sync;
  };
  let tagCount = 0;

  async function act(r: (typeof replicas)[number], index: number): Promise<void> {
    const roll = random.next();
    if (roll < 0.4) {
      const id = random.pick(IDS);
      const held = await r.store.get('notes', id);
      await r.store.put('notes', id, [...tagsOf(held?.value), `${index}-${++tagCount}`].sort());
      return;
    }
    const direction = roll < 0.5 ? 'push-only' : 'bidirectional';
    const sync = manager(r, { direction });
    try {
      if (roll < 0.8) {
        await sync.syncOnce();
      } else {
        const runFor = random.int(0, 80);
        await sync.start();
        await turns(runFor);
      }
    } finally {
      await sync.stop();
    }
  }

  for (let step = 0, steps = random.int(10, 25); step < steps; step++) {
    await Promise.all(replicas.map((r, i) => (random.chance(0.7) ? act(r, i) : undefined)));
  }
  // Calm: rounds of syncOnce until a whole round changes nothing on the server and
  // leaves nothing to push (a merge pushed in one round may meet another replica's
  // merge and need the next).
  let quiet = false;
  for (let round = 0; round < 12 && !quiet; round++) {
    const before = await serverStore.latestVersion();
    for (const r of replicas) {
      const sync = manager(r);
      await sync.syncOnce().finally(() => sync.stop());
    }
    const pending = await Promise.all(replicas.map((r) => r.store.pendingCount()));
    quiet = (await serverStore.latestVersion()) === before && pending.every((count) => count === 0);
  }
  if (!quiet) problems.push('the replicas kept writing merges for 12 calm rounds');

  const feed = await server.handlePull({ instanceId: '00000000-0000-7000-8000-000000000000', cursor: 0, batchSize: 1000 });
  for (const [i, r] of replicas.entries()) {
    const pending = await r.store.pendingCount();
    if (pending !== 0) problems.push(`replica ${i}: ${pending} changes never pushed`);
    for (const id of IDS) {
      const held = (await r.store.get('notes', id))?.value;
      const onServer = feed.changes.find((c) => c.id === id)?.value;
      if (JSON.stringify(held) !== JSON.stringify(onServer)) {
        problems.push(`replica ${i}, notes/${id}: holds ${JSON.stringify(held)}, the server ${JSON.stringify(onServer)}`);
      }
    }
    r.store.close();
  }
  await server.close();
  return problems;
}

describe('server-wins with a merging resolver, seeded interleavings', () => {
  for (const seed of seedList()) {
    it(`converges and resolves each conflict once, seed ${seed} (replay with MERGE_SEED=${seed})`, async () => {
      expect(await runSeed(seed), `seed ${seed}; replay with MERGE_SEED=${seed}`).toEqual([]);
    });
  }
});
