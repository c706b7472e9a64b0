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
  type ServerRecord,
  type ServerRecordWrite,
  type ServerStore,
  type ServerStoreTransaction,
} from '../types.ts';
import { changePage } from './change-page.ts';
import { commitListeners } from './commit-listeners.ts';
import { serialQueue } from './serial-queue.ts';
import { runTransaction, type TransactionSteps } from './store-transaction.ts';

/** A fresh, empty in-memory server store with its own server id. */
export function memoryServerStore(): ServerStore {
  return new MemoryServerStore();
}

function copyRecord<T extends ServerRecordWrite>(record: T): T {
  return structuredClone(record);
}

class MemoryServerStore implements ServerStore {
  readonly kind = 'memory';
  readonly #serverId = globalThis.crypto.randomUUID();
  /** Current row per record key. */
  readonly #rows = new Map<string, ServerRecord>();
  /** Every committed write in version order; superseded entries are skipped on read and compacted away. */
  #feed: ServerRecord[] = [];
  readonly #applied = new Map<InstanceId, number>();
  #latest = 0;
  readonly #queue = serialQueue();
  readonly #listeners = commitListeners();
  #closed = false;

  async serverId(): Promise<string> {
    this.#assertOpen();
    return this.#serverId;
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
      this.#latest = next;
      this.#compact();
    };
    return { tx, begin: () => undefined, commit, rollback: () => undefined };
  }

  async readChanges(query: ChangeQuery): Promise<ChangePage> {
    this.#assertOpen();
    const collectives = query.collectives === undefined ? undefined : new Set(query.collectives);
    const rows: ServerRecord[] = [];
    let total = 0;
    for (let i = this.#firstAfter(query.after); i < this.#feed.length; i++) {
      const entry = this.#feed[i] as ServerRecord;
      if (this.#rows.get(recordKey(entry.collective, entry.id)) !== entry) continue; // superseded
      if (collectives !== undefined && !collectives.has(entry.collective)) continue;
      if (query.excludeSource !== undefined && entry.source === query.excludeSource) continue;
      total++;
      if (rows.length <= query.limit) rows.push(copyRecord(entry));
      else if (query.withTotal !== true) break;
    }
    return changePage(query, { rows, latest: this.#latest, total });
  }

  async latestVersion(): Promise<SyncCursor> {
    this.#assertOpen();
    return this.#latest;
  }

  async listCollectives(): Promise<string[]> {
    this.#assertOpen();
    return [...new Set([...this.#rows.values()].map((row) => row.collective))];
  }

  onCommit(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    await this.#queue.idle(); // let a transaction in flight finish
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
