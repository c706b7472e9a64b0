/**
 * The local replica: records, change log, cursors and meta over IndexedDB, and its
 * memory twin behind the same interface.
 */
export { openReplica, DEFAULT_BLOCKED_TIMEOUT_MS } from './idb-replica.ts';
export type { ReplicaOptions, KeyRangeFactory } from './idb-replica.ts';
export { memoryDatabases, memoryReplica } from './memory-replica.ts';
export { OutboxIndex, pendingWrites } from './outbox-view.ts';
export { replicaFields } from './replica-fields.ts';
export { HISTORY_LIMIT } from './field-seam.ts';
export type { FieldLoss, HistoryEntry, PatchInput, RecordExplanation, ReplicaFields } from './field-seam.ts';
export type { PendingWrite, PendingWritesOptions } from './outbox-view.ts';
export type { MemoryDatabases, MemoryReplicaOptions } from './memory-replica.ts';
export type {
  ApplyResult,
  ChangeEvent,
  CursorAdvance,
  LocalConflict,
  LocalStore,
  LocalWrite,
  RecordEntry,
  RecordInput,
  ReplicaIdentity,
  SnapshotCause,
} from './types.ts';
