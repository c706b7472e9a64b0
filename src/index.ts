/**
 * `pulsesync`: the browser-side entry. The replica (IndexedDB), the sync engine, the
 * transports (in-memory, HTTP, chaos), the wire protocol and the hybrid logical clock.
 * Everything here runs in a browser, a worker or Node; nothing pulls in server code.
 * The server lives in `pulsesync/server`, the worker entry in `pulsesync/worker`.
 */
export * from './protocol/index.ts';
export * from './clock/index.ts';
export * from './store/index.ts';
export * from './engine/index.ts';
export * from './transport/index.ts';
export * from './client/index.ts';
