/**
 * `pulsesync/testing`: what a test of pulsesync, or of your own store or transport,
 * needs. The contract suites (each registers vitest tests, so import them from a
 * vitest test file), the chaos transport and its seeded random, a manual clock, and
 * the transports and wrapper the suites and chaos are built on.
 */
export { runReplicaContract, failureCode, pulled } from './replica-contract.ts';
export type { OpenReplica } from './replica-contract.ts';
export { runTransportContract } from './transport-contract.ts';
export type { ConnectTransport, ConnectedTransport, TransportSettings } from './transport-contract.ts';
export { runServerStoreContract } from './server-store-contract.ts';
export type { StoreFixture } from './server-store-fixture.ts';
export { chaosTransport } from './chaos-transport.ts';
export type { ChaosStats, ChaosTransport, ChaosTransportOptions } from './chaos-transport.ts';
export { seededRandom } from './seeded-random.ts';
export type { SeededRandom } from './seeded-random.ts';
export { manualClock } from './manual-clock.ts';
export type { ManualClock } from './manual-clock.ts';
export { memoryTransport } from '../transport/memory-transport.ts';
export type { MemoryTransportOptions, SyncServerHandlers } from '../transport/memory-transport.ts';
export { TRANSPORT_OPERATIONS, isCallOf, wrapTransport } from '../transport/wrap-transport.ts';
export type { TransportCall, TransportOperation, TransportWrapper } from '../transport/wrap-transport.ts';
export type { TransportTimers } from '../transport/timers.ts';
