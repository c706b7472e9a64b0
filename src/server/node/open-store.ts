/**
 * How the command opens the store it was told to use. Each store's entry is imported
 * only when chosen, so a SQLite server needs no `pg` installed and a Postgres one no
 * `better-sqlite3`; a driver that is missing is named, with the command that installs it.
 */
import { ErrorCode, SyncError } from '../../protocol/errors.ts';
import type { ServerStore } from '../types.ts';
import type { StoreChoice } from './cli-args.ts';

/** The store entries, each loaded on first use. Tests pass their own. */
export interface StoreEntries {
  sqlite(): Promise<{ sqliteServerStore(path: string): ServerStore }>;
  postgres(): Promise<{ postgresServerStore(url: string): ServerStore }>;
}

/** The real entries: `pulsesync/server/sqlite` and `pulsesync/server/postgres`. */
export const STORE_ENTRIES: StoreEntries = {
  sqlite: () => import('../sqlite.ts'),
  postgres: () => import('../postgres.ts'),
};

/**
 * Opens the chosen store. Fails `INVALID_CONFIG` when its driver package is not
 * installed (`details.missingPackage` names it); any other failure is the store's own.
 */
export async function openStore(choice: StoreChoice, entries: StoreEntries = STORE_ENTRIES): Promise<ServerStore> {
  if (choice.kind === 'postgres') {
    const { postgresServerStore } = await load(entries.postgres, 'PostgreSQL', 'pg');
    return postgresServerStore(choice.url);
  }
  const { sqliteServerStore } = await load(entries.sqlite, 'SQLite', 'better-sqlite3');
  return sqliteServerStore(choice.path);
}

async function load<T>(entry: () => Promise<T>, store: string, driver: string): Promise<T> {
  try {
    return await entry();
  } catch (error) {
    if (!isMissingPackage(error, driver)) throw error;
    throw new SyncError(ErrorCode.INVALID_CONFIG, `The ${store} store needs the ${driver} package, which is not installed; install it: npm install ${driver}`, {
      cause: error,
      details: { missingPackage: driver },
    });
  }
}

/**
 * Is `error` the runtime failing to find the package `name` itself? Node's ESM loader
 * says `ERR_MODULE_NOT_FOUND` "Cannot find package 'name' imported from …", its
 * require (as under tsx) `MODULE_NOT_FOUND` "Cannot find module 'name'". A package
 * that is there but broken names another path, and is reported as it is.
 */
function isMissingPackage(error: unknown, name: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && error.message.includes(`'${name}'`);
}
