/**
 * `pulsesync/testing`: tools to test a sync setup: an in-memory transport, a chaos
 * transport that drops, duplicates, delays and reorders, and a seeded random source.
 * (Minimal version from the package work; the contract suites join it.)
 */
export { memoryTransport } from '../transport/memory-transport.ts';
export type { MemoryTransportOptions, SyncServerHandlers } from '../transport/memory-transport.ts';
export { chaosTransport } from '../transport/chaos-transport.ts';
export type { ChaosOperation, ChaosStats, ChaosTransport, ChaosTransportOptions } from '../transport/chaos-transport.ts';
export { seededRandom } from '../transport/seeded-random.ts';
export type { SeededRandom } from '../transport/seeded-random.ts';
