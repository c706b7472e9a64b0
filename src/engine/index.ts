export { SyncManager } from './sync-manager.ts';
export type { SyncManagerOptions } from './sync-manager.ts';
export { PendingCount } from './pending-count.ts';
export type { TimeSource } from './timers.ts';
export { DEFAULT_RETRY_CONFIG, DEFAULT_SYNC_CONFIG, validateConfig } from './config.ts';
export { retryDelay } from './backoff.ts';
export type { RetryState } from './backoff.ts';
export { peerKey } from './peer-key.ts';
export { readPushOutcome, readAckState, outcomeOf, MAX_KEPT_REFUSALS } from './acks.ts';
export type { AckEvent, AckState, ChangeRefusal, KeptRefusals, PushOutcome, RefusalReason, WriteReceipt } from './acks.ts';
export { readSyncFacts } from './sync-facts.ts';
export type { SyncFacts } from './sync-facts.ts';
export type {
  ConflictInfo,
  ConflictResolution,
  ConflictResolver,
  ClearedEvent,
  ResetEvent,
  SnapshotResetEvent,
  RetryConfig,
  SyncConfig,
  SyncConfigInput,
  SyncDirection,
  SyncEngine,
  SyncEventMap,
  SyncEventName,
} from './types.ts';
