/**
 * `pulsesync/server/postgres`: the Postgres store (pg, an optional peer dependency:
 * `npm install pg`). (Minimal version from the package work.)
 */
export { postgresServerStore, PostgresServerStore, POSTGRES_CHANNEL } from './stores/postgres-server-store.ts';
export type { PostgresServerStoreOptions } from './stores/postgres-server-store.ts';
