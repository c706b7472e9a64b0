/**
 * A replica held in memory: the same {@link LocalStore} as the IndexedDB one, for tests
 * and for where IndexedDB is missing or unusable (some private-browsing modes), the way
 * Replicache keeps a memory store beside its IndexedDB one behind one interface. Data
 * lives as long as its {@link MemoryDatabases} does: nothing survives a reload.
 *
 * Every call does its work synchronously once its arguments are checked, so a call is
 * one transaction: no other call can run between its reads and its writes. Values are
 * copied in and out (`structuredClone`), as IndexedDB copies them, so a caller changing
 * an object after `put` or after `get` changes nothing stored.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { recordKey } from '../protocol/record-key.ts';
import { assertCollective, assertRecordId } from '../protocol/validate.ts';
import type { ConflictPolicy, InstanceId, InstanceKey, JsonValue, PulledChange, PushedChange, SyncChange, SyncCursor } from '../protocol/types.ts';
import { ackedDeletes } from './acked-tombstones.ts';
import { appendSyncChanges, trimEntry } from './change-log.ts';
import { EventEmitter } from '../events/event-emitter.ts';
import { closedError } from './idb-errors.ts';
import { beginSnapshot, staleTest, withoutOwnRowsOfPending } from './pull-snapshot.ts';
import { identityOf, keyToKeep, renumberLog } from './replica-identity.ts';
import { cursorKey, type LoggedChange } from './schema.ts';
import type {
  ApplyResult,
  ChangeEvent,
  CursorAdvance,
  LocalStore,
  LocalWrite,
  LocalWriteOptions,
  RecordEntry,
  RecordInput,
  ReplicaIdentity,
  SnapshotCause,
} from './types.ts';
import { openMemoryDatabase, type MemoryDatabase, type MemoryDatabases } from './memory-databases.ts';
import { uuidV7 } from './uuid-v7.ts';
import { checkCount, checkName, checkRemoteApply, recordsToWrites, toLoggedChanges } from './write-validation.ts';
import type { PatchInput, RecordExplanation } from './field-seam.ts';
import { replicaFields as fields } from './replica-fields.ts';
import { clockBound, eventChange, toRecordEntry } from './write-plans.ts';

export { memoryDatabases, type MemoryDatabases } from './memory-databases.ts';

/** Options of {@link memoryReplica}. */
export interface MemoryReplicaOptions {
  /** The database name; one replica per name. */
  readonly name: string;
  /** Where the database lives. Default: one shared place per JS realm. */
  readonly databases?: MemoryDatabases;
  /** Wall clock for the hybrid logical clock. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Opens (or creates) the memory replica `name`. On first open it makes the replica's
 * `instanceId` (UUID v7); opening the same name again in the same `databases` gives the
 * same data and identity.
 */
export async function memoryReplica(options: MemoryReplicaOptions): Promise<LocalStore> {
  if (typeof options?.name !== 'string' || options.name.length === 0) {
    throw new SyncError(ErrorCode.INVALID_CONFIG, 'memoryReplica: name must be a non-empty string');
  }
  return new MemoryReplica(options.name, openMemoryDatabase(options.databases, options.name), options.now ?? Date.now);
}

class MemoryReplica implements LocalStore {
  readonly name: string;
  readonly #db: MemoryDatabase;
  readonly #now: () => number;
  /** The app's change listeners (one that throws is logged: a committed write does not fail for it). */
  readonly #listeners = new EventEmitter<{ change: ChangeEvent }>();
  #closed = false;

  constructor(name: string, db: MemoryDatabase, now: () => number) {
    this.name = name;
    this.#db = db;
    this.#now = now;
  }

  /** The database's, so every store object over it (every "tab") sees a fresh identity at once. */
  get instanceId(): InstanceId {
    return this.#db.instanceId;
  }

  // ---- data ----

  async put(collective: string, id: string, value: JsonValue): Promise<void> {
    this.#open();
    this.#writeLocal(toLoggedChanges([{ op: 'put', collective, id, value }], 'put'));
  }

  async putMany(records: readonly RecordInput[]): Promise<void> {
    this.#open();
    this.#writeLocal(toLoggedChanges(recordsToWrites(records), 'records'));
  }

  async delete(collective: string, id: string): Promise<void> {
    this.#open();
    this.#writeLocal(toLoggedChanges([{ op: 'delete', collective, id }], 'delete'));
  }

  async patch(collective: string, id: string, patch: PatchInput): Promise<PushedChange[]> {
    this.#open();
    return structuredClone(this.#writeLocal([fields.loggedPatch(collective, id, patch)]));
  }

  async explain(collective: string, id: string): Promise<RecordExplanation> {
    this.#open();
    assertCollective(collective);
    assertRecordId(id);
    return structuredClone(fields.explain(collective, id, this.#db.records.get(recordKey(collective, id))));
  }

  async write(writes: readonly LocalWrite[], options: LocalWriteOptions = {}): Promise<readonly SyncChange[]> {
    this.#open();
    const { baseVersion } = options;
    if (baseVersion !== undefined) checkCount(baseVersion, 'baseVersion');
    // Puts and deletes log whole-record changes.
    return structuredClone(this.#writeLocal(toLoggedChanges(writes, options.field), baseVersion)) as SyncChange[];
  }

  async get(collective: string, id: string): Promise<RecordEntry | undefined> {
    this.#open();
    assertCollective(collective);
    assertRecordId(id);
    return structuredClone(toRecordEntry(this.#db.records.get(recordKey(collective, id))));
  }

  async list(collective: string): Promise<RecordEntry[]> {
    this.#open();
    assertCollective(collective);
    const entries: RecordEntry[] = [];
    for (const stored of this.#db.records.values()) {
      const entry = stored.collective === collective ? toRecordEntry(stored) : undefined;
      if (entry !== undefined) entries.push(entry);
    }
    // Code-unit order, as IndexedDB orders string keys.
    entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return structuredClone(entries);
  }

  // ---- sync ----

  async pendingChanges(limit: number): Promise<PushedChange[]> {
    this.#open();
    checkCount(limit, 'limit');
    const out: PushedChange[] = [];
    for (const entry of this.#db.log) {
      if (out.length >= limit) break;
      appendSyncChanges(out, entry, this.instanceId, limit);
    }
    return structuredClone(out);
  }

  async pendingCount(): Promise<number> {
    this.#open();
    return this.#db.log.reduce((count, entry) => count + entry.changes.length, 0);
  }

  async acknowledge(peer: string, ackedSeq: number, instanceId?: InstanceId): Promise<void> {
    this.#open();
    checkName(peer);
    checkCount(ackedSeq, 'ackedSeq');
    const db = this.#db;
    if (instanceId !== undefined && db.instanceId !== instanceId) return; // a retired id's answer
    for (const { collective, id, hlc } of ackedDeletes(db.log, ackedSeq)) {
      const key = recordKey(collective, id);
      const held = db.records.get(key);
      if (held?.op === 'delete' && held.hlc === hlc) db.records.delete(key);
    }
    db.log = db.log.flatMap((entry) => trimEntry(entry, ackedSeq) ?? []);
    const key = cursorKey.push(peer);
    if (ackedSeq > (db.cursors.get(key) ?? 0)) db.cursors.set(key, ackedSeq);
  }

  async pushCursor(peer: string): Promise<number> {
    this.#open();
    checkName(peer);
    return this.#db.cursors.get(cursorKey.push(peer)) ?? 0;
  }

  async pullCursor(peer: string): Promise<SyncCursor> {
    this.#open();
    checkName(peer);
    return this.#db.cursors.get(cursorKey.pull(peer)) ?? 0;
  }

  async snapshotMark(peer: string): Promise<SyncCursor | undefined> {
    this.#open();
    checkName(peer);
    return this.#db.cursors.get(cursorKey.mark(peer));
  }

  async applyRemote(
    changes: readonly PulledChange[],
    options: { readonly policy: ConflictPolicy; readonly cursor?: CursorAdvance; readonly maxClockDriftMs?: number },
  ): Promise<ApplyResult> {
    this.#open();
    checkRemoteApply(changes, options);
    const incoming = structuredClone(changes);
    const db = this.#db;
    const { policy, cursor } = options;
    const clock = clockBound(options.maxClockDriftMs, this.#now());
    // Own rows of records with a pending change are left out of a feed batch (a snapshot serves them).
    const fed = cursor === undefined ? incoming : withoutOwnRowsOfPending(incoming, db.log, db.instanceId);
    const held = structuredClone(fed.map((c) => db.records.get(recordKey(c.collective, c.id))));
    const met = { held, state: db.writeState, clock, entries: db.log, instanceId: this.instanceId };
    const plan =
      cursor === undefined
        ? fields.planServerStates({ changes: fed, policy, ...met })
        : fields.planFeedBatch({ changes: fed, policy, cursor, storedCursor: db.cursors.get(cursorKey.pull(cursor.peer)), storedAcked: db.cursors.get(cursorKey.push(cursor.peer)), ...met });
    if (cursor?.from === 0 && cursor.mark !== undefined) {
      const begun = beginSnapshot(cursor, db.log, db.writeState?.hlc);
      const stale = staleTest(begun);
      // As the IndexedDB replica does: no list of what it held, only the records its pages write.
      let some = false;
      for (const record of db.records.values()) if ((some = stale(record))) break;
      db.snapshot = { ...begun, cause: db.snapshot?.cause, seen: some ? new WeakSet() : undefined };
    }
    // A pulled change is a record as the replica holds it; `incoming` is this replica's own copy.
    for (const change of plan.written) {
      db.records.set(recordKey(change.collective, change.id), change);
      db.snapshot?.seen?.add(change);
    }
    if (plan.state !== undefined) db.writeState = plan.state;
    // Rows of its own (in a snapshot's pages) are no news to the app (see pull-snapshot.ts).
    const events = plan.written.filter((c) => c.source !== db.instanceId).map(eventChange);
    let reset: ApplyResult['reset'];
    if (cursor !== undefined) {
      db.cursors.set(cursorKey.pull(cursor.peer), cursor.to);
      if (cursor.mark !== undefined) db.cursors.set(cursorKey.mark(cursor.peer), cursor.mark);
      const snapshot = db.snapshot;
      if (snapshot !== undefined && cursor.last === true) {
        const { seen } = snapshot;
        const stale = staleTest(snapshot);
        let dropped = 0;
        for (const [key, record] of db.records) {
          if (!seen || seen.has(record) || !stale(record)) continue;
          db.records.delete(key);
          dropped++;
          // A delete to the app, a tombstone too (as the IndexedDB replica tells it).
          events.push({ collective: record.collective, id: record.id, op: 'delete' });
        }
        db.snapshot = undefined;
        if (snapshot.cause !== undefined) reset = { cause: snapshot.cause, dropped };
      }
    }
    if (events.length > 0) this.#listeners.emit('change', { source: 'remote', changes: structuredClone(events) });
    const result = { applied: plan.written.length, conflicts: structuredClone(plan.conflicts) };
    return reset === undefined ? result : { ...result, reset };
  }

  // ---- notes ----

  async readNote(key: string): Promise<unknown> {
    this.#open();
    checkName(key, 'note key');
    return structuredClone(this.#db.notes.get(key));
  }

  async updateNote(key: string, update: (current: unknown) => unknown): Promise<void> {
    this.#open();
    checkName(key, 'note key');
    this.#db.notes.set(key, structuredClone(update(structuredClone(this.#db.notes.get(key)))));
  }

  // ---- identity ----

  async identity(): Promise<ReplicaIdentity> {
    this.#open();
    return identityOf(this.#db.instanceId, this.#db.instanceKey, this.#db.writeState);
  }

  async saveInstanceKey(instanceId: InstanceId, key: InstanceKey, sent: InstanceKey | undefined): Promise<InstanceKey | undefined> {
    this.#open();
    const kept = keyToKeep(instanceId, this.#db.instanceId, this.#db.instanceKey, key, sent);
    if (kept === key) this.#db.instanceKey = { instanceId, key };
    return kept;
  }

  async startNewIdentity(retired: InstanceId): Promise<InstanceId> {
    this.#open();
    const db = this.#db;
    if (db.instanceId !== retired) return db.instanceId;
    const renewed = renumberLog(db.log, db.writeState);
    db.instanceId = uuidV7();
    db.instanceKey = undefined;
    db.log = renewed.entries;
    db.writeState = renewed.state;
    db.cursors.clear();
    return db.instanceId;
  }

  async resetPull(peer: string, cause: SnapshotCause): Promise<void> {
    this.#open();
    checkName(peer);
    const db = this.#db;
    db.cursors.delete(cursorKey.pull(peer));
    db.cursors.delete(cursorKey.mark(peer));
    db.snapshot = { cause };
  }

  // ---- lifecycle ----

  subscribe(listener: (event: ChangeEvent) => void): () => void {
    return this.#listeners.on('change', listener);
  }

  close(): void {
    this.#closed = true;
  }

  // ---- internals ----

  #open(): void {
    if (this.#closed) throw closedError(this.name, 'close() was called on this replica');
  }

  /** One local write: records, one log entry and the write state, all at once. */
  #writeLocal(changes: readonly LoggedChange[], baseVersion?: number): PushedChange[] {
    if (changes.length === 0) return [];
    const db = this.#db;
    const stored = structuredClone(changes);
    // The records written meet what they find (a copy: the plan's records are stored as they are).
    const held = structuredClone(stored.map((c) => db.records.get(recordKey(c.collective, c.id))));
    const plan = fields.planLocalWrite({ changes: stored, state: db.writeState, instanceId: this.instanceId, now: this.#now, baseVersion, held, entries: db.log });
    for (const record of plan.records) db.records.set(recordKey(record.collective, record.id), record);
    db.log.push(plan.entry);
    db.writeState = plan.state;
    this.#listeners.emit('change', { source: 'local', changes: structuredClone(plan.records.map(eventChange)) });
    return plan.logged;
  }
}
