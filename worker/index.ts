/**
 * `pulsesync/worker`: the sync worker. The default worker module calls
 * {@link exposeSyncWorker} with defaults; an app that needs a custom transport or
 * conflict resolver writes its own worker module calling it with options.
 */
export { exposeSyncWorker, createSyncWorkerApi } from './expose.ts';
export { SyncWorker } from './sync-worker.ts';
export { DEFAULT_LEADER_ANSWER_TIMEOUT_MS, DEFAULT_LEADER_SILENCE_MS } from './worker-options.ts';
export { DEFAULT_CLEAR_TIMEOUT_MS } from './replica-life.ts';
export type { SyncWorkerOptions, TransportSettings, WorkerCollections, WorkerFields } from './worker-options.ts';
export { workerCollections } from './worker-collections.ts';
export { workerFields } from './worker-fields.ts';
export { leaderLockName } from './leader-lock.ts';
export type { LockManagerLike, LockRequestOptions } from './leader-lock.ts';
export type { OnlineSignal } from './online-signal.ts';
export type { BroadcastChannelFactory, BroadcastChannelLike } from './tab-channel.ts';
