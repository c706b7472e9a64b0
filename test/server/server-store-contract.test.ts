import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { postgresServerStore } from '../../src/server/postgres.ts';
import { sqliteServerStore } from '../../src/server/sqlite.ts';
import type { ServerStore } from '../../src/server/types.ts';
import { freshPostgresDatabase, postgresSkipReason } from '../setup/postgres.ts';
import { runServerStoreContract } from '../../src/testing/server-store-contract.ts';

/** Closes every store a fixture opened, then runs `cleanup`. */
function tracker(cleanup: () => void = () => undefined) {
  const stores: ServerStore[] = [];
  return {
    track<T extends ServerStore>(store: T): T {
      stores.push(store);
      return store;
    },
    async dispose() {
      await Promise.all(stores.map((store) => store.close()));
      cleanup();
    },
  };
}

runServerStoreContract('memory', async () => {
  const store = memoryServerStore();
  return { store, dispose: () => store.close() };
});

runServerStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsesync-sqlite-'));
  const path = join(dir, 'server.db');
  const stores = tracker(() => rmSync(dir, { recursive: true, force: true }));
  const store = stores.track(sqliteServerStore(path));
  return {
    store,
    reopen: async () => {
      await store.close();
      return stores.track(sqliteServerStore(path));
    },
    dispose: () => stores.dispose(),
  };
});

describe.skipIf(postgresSkipReason() !== undefined)('postgres', () => {
  runServerStoreContract('postgres', async () => {
    const url = await freshPostgresDatabase('contract');
    const stores = tracker();
    const store = stores.track(postgresServerStore(url));
    return {
      store,
      reopen: async () => {
        await store.close();
        return stores.track(postgresServerStore(url));
      },
      another: async () => stores.track(postgresServerStore({ connectionString: url, max: 4 })),
      dispose: () => stores.dispose(),
    };
  });
});
