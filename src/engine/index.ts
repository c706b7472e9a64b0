export { SyncManager } from './sync-manager.ts';
export type { SyncManagerOptions } from './sync-manager.ts';
export { PendingCount } from './pending-count.ts';
export type { TimeSource } from './timers.ts';
export { DEFAULT_RETRY_CONFIG, DEFAULT_SYNC_CONFIG, validateConfig } from './config.ts';
export { retryDelay } from './backoff.ts';
export type { RetryState } from './backoff.ts';
export { peerKey } from './peer-key.ts';
export type {
  ConflictInfo,
  ConflictResolution,
  ConflictResolver,
  RetryConfig,
  SyncConfig,
  SyncConfigInput,
  SyncDirection,
  SyncEngine,
  SyncEventMap,
  SyncEventName,
} from './types.ts';
