/**
 * The in-memory {@link ServerStore}: for tests and in-process demos. Data lives as long
 * as the object. Transactions run one at a time (a promise queue) and buffer their
 * writes, so a throw leaves nothing behind and readers only ever see committed rows.
 */
import { ErrorCode, SyncError } from '../../protocol/errors.ts';
import type { InstanceId, SyncCursor } from '../../protocol/types.ts';
import {
  recordKey,
  type ChangePage,
  type ChangeQuery,
  type InstanceRecord,
  type ServerRecord,
  type ServerRecordWrite,
  type ServerStore,
  type ServerStoreTransaction,
  type StoreCommit,
} from '../types.ts';
import { changePage, feedFill, feedRowBytes, fieldsJsonBytes, overJsonBytes, utf8Bytes } from './change-page.ts';
import { commitListeners } from './commit-listeners.ts';
import { serialQueue } from './serial-queue.ts';
import { newStoreSecret } from './store-secret.ts';
import { runTransaction, type TransactionSteps } from './store-transaction.ts';
import { runSweep, type GcMark, type SweepResult, type SweepSteps, type TombstoneSweep } from './tombstone-sweep.ts';

/** A fresh, empty in-memory server store with its own server id. */
export function memoryServerStore(): ServerStore {
  return new MemoryServerStore();
}

function copyRecord<T extends ServerRecordWrite>(record: T): T {
  return structuredClone(record);
}

function copyInstance<T extends InstanceRecord | undefined>(record: T): T {
  if (record === undefined) return record;
  // Kept answers as SQL stores give them back: absent when there are none.
  const { answers, ...rest } = record as InstanceRecord;
  const copy: InstanceRecord = { ...rest, recent: rest.recent.map(([seq, print]) => [seq, print] as const) };
  return (answers === undefined || answers.length === 0 ? copy : { ...copy, answers: answers.map((answer) => [...answer] as const) }) as T;
}

class MemoryServerStore implements ServerStore {
  readonly kind = 'memory';
  readonly #serverId = globalThis.crypto.randomUUID();
  readonly #secret = newStoreSecret();
  /** Current row per record key. */
  readonly #rows = new Map<string, ServerRecord>();
  /** Every committed write in version order; superseded entries are skipped on read and compacted away. */
  #feed: ServerRecord[] = [];
  readonly #applied = new Map<InstanceId, number>();
  readonly #instances = new Map<InstanceId, InstanceRecord>();
  #latest = 0;
  /** The tombstone sweep's state (see tombstone-sweep.ts): floors, how far it got, its marks. */
  #gcFloor = 0;
  readonly #gcFloors = new Map<string, number>();
  #scanned = 0;
  #marks: GcMark[] = [];
  readonly #queue = serialQueue();
  readonly #listeners = commitListeners();
  #closed = false;

  async serverId(): Promise<string> {
    this.#assertOpen();
    return this.#serverId;
  }

  async secret(): Promise<string> {
    this.#assertOpen();
    return this.#secret;
  }

  transaction<T>(fn: (tx: ServerStoreTransaction) => Promise<T>): Promise<T> {
    return this.#queue.run(async () => runTransaction(this.#steps(), this.#listeners, fn));
  }

  /** One transaction's steps. */
  #steps(): TransactionSteps {
    this.#assertOpen();
    // Writes go to a buffer that the commit applies in one synchronous step, so no
    // reader sees half of a transaction and a rollback is simply dropping the buffer.
    const pending: ServerRecord[] = [];
    const written = new Map<string, ServerRecord>();
    const applied = new Map<InstanceId, number>();
    const instances = new Map<InstanceId, InstanceRecord>();
    let next = this.#latest;
    const tx: ServerStoreTransaction = {
      getRecords: async (keys) => {
        const found = new Map<string, ServerRecord>();
        for (const { collective, id } of keys) {
          const key = recordKey(collective, id);
          const row = written.get(key) ?? this.#rows.get(key);
          if (row !== undefined) found.set(key, copyRecord(row));
        }
        return found;
      },
      getAppliedSeq: async (source) => applied.get(source) ?? this.#applied.get(source) ?? 0,
      setAppliedSeq: async (source, seq) => {
        applied.set(source, seq);
      },
      getInstance: async (instanceId) => copyInstance(instances.get(instanceId) ?? this.#instances.get(instanceId)),
      putInstance: async (record) => {
        instances.set(record.instanceId, copyInstance(record));
      },
      writeRecords: async (rows) =>
        rows.map((row) => {
          const record: ServerRecord = { ...copyRecord(row), version: ++next };
          pending.push(record);
          written.set(recordKey(record.collective, record.id), record);
          return copyRecord(record);
        }),
    };
    const commit = (): void => {
      for (const record of pending) {
        const key = recordKey(record.collective, record.id);
        if (written.get(key) !== record) continue; // written again later in this transaction
        this.#rows.delete(key);
        this.#rows.set(key, record);
        this.#feed.push(record);
      }
      for (const [source, seq] of applied) this.#applied.set(source, seq);
      for (const [instanceId, record] of instances) this.#instances.set(instanceId, record);
      this.#latest = next;
      this.#compact();
    };
    return { tx, begin: () => undefined, commit, rollback: () => undefined };
  }

  async readChanges(query: ChangeQuery): Promise<ChangePage> {
    this.#assertOpen();
    const collectives = query.collectives === undefined ? undefined : new Set(query.collectives);
    const fill = feedFill(query);
    let filling = true;
    let total = 0;
    for (let i = this.#firstAfter(query.after); i < this.#feed.length; i++) {
      const entry = this.#feed[i] as ServerRecord;
      if (this.#rows.get(recordKey(entry.collective, entry.id)) !== entry) continue; // superseded
      if (collectives !== undefined && !collectives.has(entry.collective)) continue;
      if (query.excludeSource !== undefined && entry.source === query.excludeSource) continue;
      total++;
      if (filling) {
        const valueBytes = entry.value === undefined ? 0 : utf8Bytes(JSON.stringify(entry.value));
        filling = fill.add(feedRowBytes(entry, valueBytes + fieldsJsonBytes(entry.fields) + overJsonBytes(entry.over)), () => copyRecord(entry));
      } else if (query.withTotal !== true) break;
    }
    return changePage(query, { fill, latest: this.#latest, total, gcFloor: this.#floorOf(query.collectives) });
  }

  /** The gc floor of some collectives; the store-wide one for undefined. */
  #floorOf(collectives: readonly string[] | undefined): number {
    if (collectives === undefined) return this.#gcFloor;
    return collectives.reduce((floor, collective) => Math.max(floor, this.#gcFloors.get(collective) ?? 0), 0);
  }

  sweepTombstones(sweep: TombstoneSweep): Promise<SweepResult> {
    return this.#queue.run(async () => runSweep(this.#sweepSteps(), sweep));
  }

  /** One sweep's steps: like a transaction's, they buffer and the commit applies. */
  #sweepSteps(): SweepSteps {
    this.#assertOpen();
    let marks = [...this.#marks];
    let removed: ServerRecord[] = [];
    let saved: { floor: number; scanned: number; floors: ReadonlyMap<string, number> } | undefined;
    return {
      begin: () => undefined,
      rollback: () => undefined,
      readState: async () => ({ floor: this.#gcFloor, scanned: this.#scanned, marks }),
      latestVersion: async () => this.#latest,
      putMark: async (mark) => {
        marks = [...marks.filter((kept) => kept.at !== mark.at), mark];
      },
      dropMarksBefore: async (at) => {
        marks = marks.filter((mark) => mark.at >= at);
      },
      scan: async (after, upTo, limit) => {
        let rows = 0;
        let last = after;
        for (const entry of this.#current(after, upTo)) {
          if (rows === limit) break;
          rows++;
          last = entry.version;
        }
        return { rows, last };
      },
      removeTombstones: async (after, through) => {
        removed = [...this.#current(after, through)].filter((entry) => entry.op === 'delete');
        return removed.map(({ collective, version }) => ({ collective, version }));
      },
      saveState: async (floor, scanned, floors) => {
        saved = { floor, scanned, floors };
      },
      commit: () => {
        this.#marks = marks;
        for (const entry of removed) this.#rows.delete(recordKey(entry.collective, entry.id));
        if (saved === undefined) return;
        this.#gcFloor = saved.floor;
        this.#scanned = saved.scanned;
        for (const [collective, floor] of saved.floors) this.#gcFloors.set(collective, Math.max(floor, this.#gcFloors.get(collective) ?? 0));
        this.#compact();
      },
    };
  }

  async latestVersion(): Promise<SyncCursor> {
    this.#assertOpen();
    return this.#latest;
  }

  async latestVersionIn(collectives: readonly string[]): Promise<SyncCursor> {
    this.#assertOpen();
    // Newest first: the first entry still current in a wanted collective is the answer.
    const wanted = new Set(collectives);
    // A removed tombstone's version counts too (see ServerStore.latestVersionIn).
    const floor = this.#floorOf(collectives);
    for (let i = this.#feed.length - 1; i >= 0 && wanted.size > 0; i--) {
      const entry = this.#feed[i] as ServerRecord;
      if (entry.version <= floor) break;
      if (wanted.has(entry.collective) && this.#rows.get(recordKey(entry.collective, entry.id)) === entry) return entry.version;
    }
    return floor;
  }

  async listCollectives(): Promise<string[]> {
    this.#assertOpen();
    return [...new Set([...[...this.#rows.values()].map((row) => row.collective), ...this.#gcFloors.keys()])];
  }

  async getInstance(instanceId: InstanceId): Promise<InstanceRecord | undefined> {
    this.#assertOpen();
    return copyInstance(this.#instances.get(instanceId));
  }

  onCommit(listener: (commit: StoreCommit) => void): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    await this.#queue.idle(); // let a transaction in flight finish
  }

  /** Current rows with versions in (after, upTo], in version order. */
  *#current(after: number, upTo: number): Generator<ServerRecord> {
    for (let i = this.#firstAfter(after); i < this.#feed.length; i++) {
      const entry = this.#feed[i] as ServerRecord;
      if (entry.version > upTo) return;
      if (this.#rows.get(recordKey(entry.collective, entry.id)) === entry) yield entry;
    }
  }

  /** Index of the first feed entry with a version above `after` (binary search). */
  #firstAfter(after: number): number {
    let low = 0;
    let high = this.#feed.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#feed[mid] as ServerRecord).version <= after) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Drops superseded feed entries once they outnumber the live rows. */
  #compact(): void {
    if (this.#feed.length < 2 * this.#rows.size + 1024) return;
    this.#feed = this.#feed.filter((entry) => this.#rows.get(recordKey(entry.collective, entry.id)) === entry);
  }

  #assertOpen(): void {
    if (this.#closed) throw new SyncError(ErrorCode.SHUTDOWN, 'The memory server store is closed');
  }
}
