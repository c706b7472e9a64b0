/**
 * The three server stores, opened fresh for HTTP-level tests that run on each: SQLite in
 * a temporary folder, memory, and PostgreSQL on the vitest run's cluster (left out, with
 * the reason printed, where Postgres cannot run; in CI the global setup fails instead).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryServerStore } from '../../../src/server/stores/memory-server-store.ts';
import { postgresServerStore } from '../../../src/server/postgres.ts';
import { sqliteServerStore } from '../../../src/server/sqlite.ts';
import type { ServerStore } from '../../../src/server/types.ts';
import { freshPostgresDatabase, postgresSkipReason } from '../../setup/postgres.ts';

/** A fresh store, and what removes its files once it is closed. */
export interface OpenedStore {
  readonly store: ServerStore;
  /** Removes what the store left on disk; call after the store (or its server) closed. */
  readonly cleanup: () => void;
}

/** One kind of store. */
export interface StoreKind {
  readonly kind: 'sqlite' | 'memory' | 'postgres';
  /** Opens a fresh, empty store; `label` names its file or database. */
  open(label: string): Promise<OpenedStore>;
}

const ALL: readonly (StoreKind & { readonly available: () => boolean })[] = [
  {
    kind: 'sqlite',
    available: () => true,
    async open(label) {
      const dir = mkdtempSync(join(tmpdir(), `pulsesync-${label}-`));
      return { store: sqliteServerStore(join(dir, `${label}.db`)), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  { kind: 'memory', available: () => true, open: async () => ({ store: memoryServerStore(), cleanup: () => undefined }) },
  {
    kind: 'postgres',
    available: () => postgresSkipReason() === undefined,
    open: async (label) => ({ store: postgresServerStore(await freshPostgresDatabase(label)), cleanup: () => undefined }),
  },
];

/** The kinds that can run here, for `describe.each`. */
export function storeKinds(): StoreKind[] {
  return ALL.filter((kind) => kind.available());
}
