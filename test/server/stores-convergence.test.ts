/**
 * The sync rules hold on every store, not only in memory: replicas syncing through a
 * faulty transport against servers over SQLite, and over one Postgres shared by two
 * server instances (two processes in production), end equal to the server, with
 * nothing left unpushed. The engine's own chaos suite covers many more seeds on the
 * memory store; these few seeds prove the stores behave the same.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { SyncManager } from '../../src/engine/sync-manager.ts';
import { isSyncError } from '../../src/protocol/errors.ts';
import type { ConflictPolicy } from '../../src/protocol/types.ts';
import { postgresServerStore } from '../../src/server/postgres.ts';
import { sqliteServerStore } from '../../src/server/sqlite.ts';
import { createSyncServer, type SyncServer } from '../../src/server/sync-server.ts';
import type { ServerStore } from '../../src/server/types.ts';
import { openReplica } from '../../src/store/idb-replica.ts';
import { chaosTransport } from '../../src/testing/chaos-transport.ts';
import { memoryTransport } from '../../src/transport/memory-transport.ts';
import { seededRandom } from '../../src/testing/seeded-random.ts';
import { freshPostgresDatabase, postgresSkipReason } from '../setup/postgres.ts';

const COLLECTIVES = ['notes', 'todos'];
const IDS = ['a', 'b', 'c', 'd'];
const SEEDS = [1, 2, 3, 4];

/** Runs one seeded scenario against `servers` (replicas spread over them); returns what went wrong. */
async function scenario(seed: number, policy: ConflictPolicy, servers: readonly SyncServer[]): Promise<string[]> {
  const random = seededRandom(seed);
  const problems: string[] = [];
  const replicas = await Promise.all(
    [0, 1, 2].map(async (index) => {
      const store = await openReplica({ name: `conv-${seed}-${index}`, indexedDB: new IDBFactory(), IDBKeyRange });
      const chaos = chaosTransport(memoryTransport(servers[index % servers.length] as SyncServer), {
        seed: random.int(0, 2 ** 31 - 1),
        dropRequestRate: 0.1,
        dropResponseRate: 0.15,
        duplicateRate: 0.1,
      });
      const manager = new SyncManager(store, chaos, { conflictResolution: policy, batchSize: 3 });
      return { index, store, chaos, manager };
    }),
  );
  const sync = async (replica: (typeof replicas)[number]) => {
    try {
      await replica.manager.syncOnce();
    } catch (error) {
      if (!isSyncError(error, 'TRANSPORT')) problems.push(`replica ${replica.index}: ${String(error)}`);
    }
  };
  for (let step = 0; step < 40; step++) {
    const replica = random.pick(replicas);
    const collective = random.pick(COLLECTIVES);
    const id = random.pick(IDS);
    const roll = random.next();
    if (roll < 0.45) await replica.store.put(collective, id, { by: replica.index, step });
    else if (roll < 0.55) await replica.store.delete(collective, id);
    else await sync(replica);
  }
  for (const replica of replicas) replica.chaos.setFaults(false);
  for (let round = 0; round < 3; round++) for (const replica of replicas) await sync(replica);

  const page = await (servers[0] as SyncServer).store.readChanges({ after: 0, limit: 10_000 });
  for (const replica of replicas) {
    if ((await replica.store.pendingCount()) !== 0) problems.push(`replica ${replica.index} has unpushed changes`);
    for (const collective of COLLECTIVES) {
      const local = (await replica.store.list(collective)).map((r) => `${r.id}=${JSON.stringify(r.value)}@${r.hlc}`).sort();
      const server = page.rows
        .filter((row) => row.collective === collective && row.op === 'put')
        .map((row) => `${row.id}=${JSON.stringify(row.value)}@${row.hlc}`)
        .sort();
      if (JSON.stringify(local) !== JSON.stringify(server)) {
        problems.push(`replica ${replica.index}, ${collective}: ${JSON.stringify(local)} != server ${JSON.stringify(server)}`);
      }
    }
    replica.store.close();
  }
  return problems;
}

function runOn(name: string, openServers: () => Promise<{ servers: SyncServer[]; dispose: () => Promise<void> }>): void {
  describe(`convergence over ${name}`, () => {
    for (const seed of SEEDS) {
      const policy: ConflictPolicy = seed % 2 === 1 ? 'last-write-wins' : 'server-wins';
      it(`replicas end equal to the server (seed ${seed}, ${policy})`, async () => {
        const { servers, dispose } = await openServers();
        try {
          expect(await scenario(seed, policy, servers), `seed ${seed} on ${name}`).toEqual([]);
        } finally {
          await dispose();
        }
      });
    }
  });
}

function closeAll(stores: ServerStore[], cleanup: () => void = () => undefined) {
  return async () => {
    await Promise.all(stores.map((store) => store.close()));
    cleanup();
  };
}

runOn('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsesync-conv-'));
  const store = sqliteServerStore(join(dir, 'server.db'));
  return { servers: [createSyncServer({ store })], dispose: closeAll([store], () => rmSync(dir, { recursive: true, force: true })) };
});

describe.skipIf(postgresSkipReason() !== undefined)('postgres', () => {
  runOn('Postgres, two server instances', async () => {
    const url = await freshPostgresDatabase('convergence');
    const stores = [postgresServerStore(url), postgresServerStore(url)];
    return { servers: stores.map((store) => createSyncServer({ store })), dispose: closeAll(stores) };
  });
});
