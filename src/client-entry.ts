/**
 * `pulsesync/client`: the page's API without the prebuilt worker, for apps that pass
 * their own (`worker`, a module calling `exposeSyncWorker` from `pulsesync/worker`) or
 * serve one themselves (`workerUrl`). `pulsesync` is this plus the default worker.
 */
export { createSyncClient } from './client/sync-client.ts';
export { defineCollections } from './client/define-collections.ts';
export type { ClientEventMap, CollectionsClient, DefinedCollections, SyncClient, SyncClientOptions } from './client/types.ts';
export type {
  Collection,
  CollectionOf,
  CollectionOptions,
  CollectionPage,
  CollectionQuery,
  CollectionRecord,
  CollectionsOptions,
  CollectionWhere,
  FieldOf,
  InputOf,
  ValueOf,
  WatchErrorListener,
} from './client/collection-types.ts';
export type { Condition, IndexKey, IndexSpec, QueryCursor } from './query/types.ts';
export type { ClearLocalDataOptions, FieldCalls, PageChangeEvent, WorkerSyncConfig } from './worker-api/sync-worker-api.ts';
export type { AckEvent, ChangeRefusal, PushOutcome, RefusalReason, WriteReceipt } from './engine/acks.ts';
export type { PendingWrite, PendingWritesOptions } from './store/outbox-view.ts';
export { ErrorCode, SyncError, isSyncError } from './protocol/errors.ts';
export type { SyncErrorData } from './protocol/errors.ts';
export type { Hlc } from './clock/hlc.ts';
export type {
  ChangeOp,
  FieldPatch,
  RecordKey,
  RecordState,
  ConflictPolicy,
  InstanceId,
  JsonValue,
  PulledChange,
  SyncCursor,
  SyncCursors,
  SyncProgress,
  SyncState,
  SyncStatus,
} from './protocol/types.ts';
export type { ChangeEvent, RecordEntry, RecordInput, SnapshotCause } from './store/types.ts';
export type { FieldLoss, HistoryEntry, PatchInput, RecordExplanation } from './store/field-seam.ts';
export type { FieldPath } from './protocol/field-path.ts';
export type {
  ConflictInfo,
  ClearedEvent,
  ResetEvent,
  SnapshotResetEvent,
  RetryConfig,
  SyncConfigInput,
  SyncDirection,
  SyncEngine,
  SyncEventMap,
  SyncEventName,
} from './engine/types.ts';
