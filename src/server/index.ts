/**
 * `pulsesync/server`: the sync server. `createSyncServer` holds the rules (handshake,
 * idempotent push, conflicts, access, pull feed) over a `ServerStore`;
 * `createFetchHandler` serves them over HTTP in any fetch-style host (Node, Hono, Deno,
 * Bun), and `createNodeServer` / `toNodeHandler` run or mount that in Node. The memory
 * store (tests, demos) is here; the SQLite and Postgres stores have entries of their own
 * (`pulsesync/server/sqlite`, `pulsesync/server/postgres`), so this one loads no
 * database driver.
 */
export { createSyncServer, SERVER_CAPABILITIES } from './sync-server.ts';
export type { SyncServer, SyncServerOptions } from './sync-server.ts';
export { fullAccess, collectiveAccess } from './access.ts';
export type { Access, Authenticate } from './access.ts';
export { DEFAULT_LIMITS } from './limits.ts';
export { DEFAULT_GC_BATCH_ROWS, DEFAULT_GC_INTERVAL_MS, DEFAULT_TOMBSTONE_HORIZON_MS } from './tombstone-gc.ts';
export type { GarbageReport } from './tombstone-gc.ts';
export type { ServerLimits } from './limits.ts';
export { recordKey } from './types.ts';
export type {
  ChangePage,
  ChangeQuery,
  ServerRecord,
  ServerRecordWrite,
  ServerStore,
  ServerStoreTransaction,
  SweepResult,
  TombstoneSweep,
} from './types.ts';
export { memoryServerStore } from './stores/memory-server-store.ts';
export type { ServerTimers } from './timers.ts';
export * from './http/index.ts';
export { toNodeHandler } from './node/node-handler.ts';
export type { NodeHandler } from './node/node-handler.ts';
export { createNodeServer } from './node/node-server.ts';
export type { ClosableFetchHandler, NodeServerOptions, NodeSyncServer } from './node/node-server.ts';
