/**
 * `pulsesync/server/sqlite`: the SQLite store (better-sqlite3, an optional peer
 * dependency: `npm install better-sqlite3`). (Minimal version from the package work.)
 */
export { sqliteServerStore } from './stores/sqlite-server-store.ts';
