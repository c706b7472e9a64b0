/**
 * `pulsesync/server/postgres`: the Postgres server store, for several server processes
 * over one database. An entry of its own so that `pulsesync/server` loads no database
 * driver: only an app that imports this needs `pg` installed.
 */
export { postgresServerStore, PostgresServerStore } from './stores/postgres/postgres-server-store.ts';
export type { PostgresServerStoreOptions } from './stores/postgres/postgres-server-store.ts';
export { POSTGRES_CHANNEL } from './stores/postgres/postgres-schema.ts';
