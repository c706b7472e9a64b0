/**
 * Where memory replicas keep their data (`memory-replica.ts`): one database per name in
 * a {@link MemoryDatabases}, shared by the replicas opened with it as tabs share one
 * IndexedDB, and held only as long as it is.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { InstanceId } from '../protocol/types.ts';
import type { LogEntry, ReplicaRecord, StoredInstanceKey, WriteState } from './schema.ts';
import type { PullSnapshot } from './pull-snapshot.ts';
import { uuidV7 } from './uuid-v7.ts';

/** One database's content: what the IndexedDB replica keeps in its four object stores. */
export interface MemoryDatabase {
  instanceId: InstanceId;
  instanceKey: StoredInstanceKey | undefined;
  /** By `recordKey(collective, id)`; deletes kept as tombstones, as in IndexedDB. */
  readonly records: Map<string, ReplicaRecord>;
  /** Entries in seq order (appended at the end, acknowledged from the front). */
  log: LogEntry[];
  writeState: WriteState | undefined;
  /** By `cursorKey.pull(peer)` / `cursorKey.push(peer)`. */
  readonly cursors: Map<string, number>;
  /**
   * A pull snapshot under way (see `pull-snapshot.ts`), with the record objects its
   * pages wrote when it has candidates (weakly: one replaced since is no longer held).
   */
  snapshot?: (PullSnapshot & { readonly seen?: WeakSet<ReplicaRecord> | undefined }) | undefined;
  /** Notes by key (see `replica-notes.ts`). */
  readonly notes: Map<string, unknown>;
}

/**
 * Where memory replicas keep their databases: replicas opened with the same name in
 * the same `MemoryDatabases` share one database, as tabs share one IndexedDB.
 */
export interface MemoryDatabases {
  /** Names of the databases held. */
  names(): string[];
}

/** The content behind each handle (kept off the handle, so callers cannot reach it). */
const contents = new WeakMap<MemoryDatabases, Map<string, MemoryDatabase>>();

/** A new, empty place for memory databases. */
export function memoryDatabases(): MemoryDatabases {
  const map = new Map<string, MemoryDatabase>();
  const handle: MemoryDatabases = { names: () => [...map.keys()] };
  contents.set(handle, map);
  return handle;
}

/** The databases of replicas opened without `databases`: one per JS realm (page, worker). */
let realmDatabases: MemoryDatabases | undefined;

/**
 * The database `name` in `databases` (default: this realm's), made empty with a new
 * instance id on first open.
 */
export function openMemoryDatabase(databases: MemoryDatabases | undefined, name: string): MemoryDatabase {
  const map = contents.get(databases ?? (realmDatabases ??= memoryDatabases()));
  if (map === undefined) throw new SyncError(ErrorCode.INVALID_CONFIG, 'memoryReplica: databases must come from memoryDatabases()');
  let db = map.get(name);
  if (db === undefined) {
    db = { instanceId: uuidV7(), instanceKey: undefined, records: new Map(), log: [], writeState: undefined, cursors: new Map(), notes: new Map() };
    map.set(name, db);
  }
  return db;
}
