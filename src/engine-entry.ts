/**
 * `pulsesync/engine`: the sync engine without a worker, for Node, tests, or a worker an
 * app writes itself. The replica (IndexedDB; pass `indexedDB` in Node), `SyncManager`,
 * the HTTP and in-memory transports, the wire protocol with its validation, and the
 * hybrid logical clock.
 *
 * The wire types and errors, but not the valibot schemas that validate them: their
 * inferred declaration types are huge, and an app type-checking its dependencies
 * (`skipLibCheck: false`) fails on them with TS2589. Validation happens inside.
 */
export * from './protocol/errors.ts';
export * from './protocol/types.ts';
export { isJsonValue, MAX_JSON_DEPTH } from './protocol/json-value.ts';
export * from './clock/index.ts';
export * from './store/index.ts';
export * from './engine/index.ts';
export * from './transport/index.ts';
