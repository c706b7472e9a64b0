/**
 * `pulsesync/server/sqlite`: the SQLite server store, the embedded default. An entry of
 * its own so that `pulsesync/server` loads no database driver: only an app that imports
 * this needs `better-sqlite3` installed.
 */
export { sqliteServerStore, type SqliteStoreOptions } from './stores/sqlite/sqlite-server-store.ts';
export type { ReadPoolOptions } from './stores/sqlite/read-pool.ts';
