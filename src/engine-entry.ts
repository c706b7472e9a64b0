/**
 * `pulsesync/engine`: the sync engine without a worker, for Node, tests, or a worker an
 * app writes itself. The replica (IndexedDB; pass `indexedDB` in Node), `SyncManager`,
 * the HTTP and in-memory transports, the wire protocol with its validation, and the
 * hybrid logical clock.
 */
export * from './protocol/index.ts';
export * from './clock/index.ts';
export * from './store/index.ts';
export * from './engine/index.ts';
export type { LiveHandlers, SyncTransport } from './transport/types.ts';
export { httpTransport } from './transport/http-transport.ts';
export type { HttpTransportOptions, TokenSource } from './transport/http-transport.ts';
export { memoryTransport } from './transport/memory-transport.ts';
export type { MemoryTransportOptions, SyncServerHandlers } from './transport/memory-transport.ts';
