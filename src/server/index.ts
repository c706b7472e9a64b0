/**
 * `pulsesync/server`: the sync server. `createSyncServer` holds the rules (handshake,
 * idempotent push, conflicts, access, pull feed) over a `ServerStore`; its `fetch`
 * handler serves them over HTTP in any fetch-style host (Node, Hono, Deno, Bun), and
 * `createNodeServer` / `toNodeHandler` run or mount it in Node. Stores: memory (tests),
 * SQLite (the embedded default) and Postgres (several processes over one database).
 */
export { createSyncServer, SERVER_CAPABILITIES } from './sync-server.ts';
export type { SyncServer, SyncServerOptions } from './sync-server.ts';
export { fullAccess, collectiveAccess } from './access.ts';
export type { Access, Authenticate } from './access.ts';
export { DEFAULT_LIMITS } from './limits.ts';
export type { ServerLimits } from './limits.ts';
export { recordKey } from './types.ts';
export type {
  ChangePage,
  ChangeQuery,
  ServerRecord,
  ServerRecordWrite,
  ServerStore,
  ServerStoreTransaction,
} from './types.ts';
export { memoryServerStore } from './stores/memory-server-store.ts';
export * from './http/index.ts';
export { toNodeHandler } from './node/node-handler.ts';
export type { NodeHandler } from './node/node-handler.ts';
export { createNodeServer } from './node/node-server.ts';
export type { ClosableFetchHandler, NodeServerOptions, NodeSyncServer } from './node/node-server.ts';
