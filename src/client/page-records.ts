/**
 * Reads of a collective's records on the page, straight from the replica's IndexedDB
 * database, for collections' whole-collection reads (`list`, `query` with at most a
 * limit and an `after`). Through the worker such a read costs three structured clones
 * (IndexedDB to the worker, the worker's entries to the page, in one message the page
 * deserialises in one task); here it costs one, in chunks of {@link CHUNK} rows, each
 * deserialised in a task of its own, so no main-thread task grows with the collection.
 *
 * The worker owns the database: it creates it and upgrades its schema and indexes. The
 * page opens it at whatever version it has (never asking for one), closes it as soon as
 * a version change (an upgrade, `clearLocalData`) comes, and never creates it: when
 * there is no database yet, no `records` store, or no IndexedDB on this thread, a read
 * answers undefined and the caller asks the worker, as it did before.
 *
 * One read is one read-only transaction, so it sees one committed state, as the
 * worker's read does: pending local writes are committed rows like any other. Unlike
 * a call to the worker, it does not wait behind calls sent before it: a write the app
 * has not awaited may not be seen.
 */
import { Stores, type RecordRow } from '../store/schema.ts';

/** The IndexedDB of the page: its globals, or (in tests) a fake one. */
export interface PageIndexedDb {
  readonly indexedDB: IDBFactory;
  readonly IDBKeyRange: Pick<typeof IDBKeyRange, 'bound'>;
}

/**
 * Rows per `getAll`. Its answer is deserialised in one main-thread task, so this bounds
 * the task: ~1 MB of 250-byte rows. Larger chunks save round trips to the browser's
 * IndexedDB process (each a wake-up of a busy page): in the bench at load 11-14, chunks of
 * 2,000 read at 0.53x and 0.78x a single getAll, chunks of 4,000 at 0.91x (and 0.95x
 * when entries were built after the read), and their longest tasks were 54-180 ms and
 * 85-88 ms. The next chunk is asked before this
 * one is used.
 */
const CHUNK = 4_000;

/** What a read makes of each live row: what the caller keeps, or undefined to leave it out. */
export type RowTaker<T> = (row: RecordRow) => T | undefined;

/** The replica's records read on the page; see the file comment. */
export class PageRecords {
  readonly #name: string;
  readonly #idb: PageIndexedDb | undefined;
  #db: Promise<IDBDatabase | undefined> | undefined;
  #closed = false;

  /** `idb`: the page's own IndexedDB by default; none (every read asks the worker) where it has none. */
  constructor(name: string, idb: PageIndexedDb | undefined = pageIndexedDb()) {
    this.#name = name;
    this.#idb = idb;
  }

  /**
   * What `take` makes of the live rows of `collective` with ids above `after`, in id
   * order, at most `count`; undefined when the page cannot read (ask the worker). Each
   * chunk is taken as it arrives, so no pass over the whole result makes a long task.
   */
  async read<T>(collective: string, count: number, take: RowTaker<T>, after?: string): Promise<T[] | undefined> {
    const db = await this.#open();
    if (db === undefined) return undefined;
    let records: IDBObjectStore;
    try {
      records = db.transaction(Stores.records, 'readonly').objectStore(Stores.records);
    } catch {
      return undefined; // closed under us by a version change: the worker answers this one
    }
    const keys = (this.#idb as PageIndexedDb).IDBKeyRange;
    // Arrays sort after strings in IndexedDB keys, so [c, []] is above every [c, id].
    const upper = [collective, []];
    const chunk = Math.min(CHUNK, count);
    const ask = (range: IDBKeyRange): Promise<RecordRow[]> =>
      new Promise((resolve, reject) => {
        const request = records.getAll(range, chunk);
        request.onsuccess = () => resolve(request.result as RecordRow[]);
        request.onerror = () => reject(request.error);
      });
    const out: T[] = [];
    let asked = ask(after === undefined ? keys.bound([collective], upper) : keys.bound([collective, after], upper, true));
    for (;;) {
      const rows = await asked;
      const last = rows[rows.length - 1];
      const more = rows.length === chunk && last !== undefined;
      // The next chunk is on its way while this one is sorted (still inside the
      // transaction: asked from the microtask of the last answer, as run-query.ts does).
      if (more) (asked = ask(keys.bound([collective, last.id], upper, true))).catch(() => undefined);
      for (const row of rows) {
        const taken = row.deleted ? undefined : take(row);
        if (taken !== undefined && out.push(taken) >= count) return out;
      }
      if (!more) return out;
    }
  }

  /** Lets go of the database; later reads ask the worker. */
  close(): void {
    this.#closed = true;
    void this.#db?.then((db) => db?.close());
    this.#db = undefined;
  }

  #open(): Promise<IDBDatabase | undefined> {
    const factory = this.#idb?.indexedDB;
    if (this.#closed || factory === undefined) return Promise.resolve(undefined);
    if (this.#db !== undefined) return this.#db;
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(this.#name); // no version: never an upgrade of ours
    } catch {
      return Promise.resolve(undefined);
    }
    const opening = new Promise<IDBDatabase | undefined>((resolve) => {
      const forget = (): void => {
        if (this.#db === opening) this.#db = undefined;
        resolve(undefined);
      };
      // No database yet: undo the creation, the worker makes it (with its stores).
      request.onupgradeneeded = () => request.transaction?.abort();
      request.onerror = (event) => {
        event.preventDefault();
        forget();
      };
      request.onsuccess = () => {
        const db = request.result;
        // An upgrade or a delete waits for this connection: never keep it waiting.
        db.onversionchange = db.onclose = () => {
          db.close();
          if (this.#db === opening) this.#db = undefined;
        };
        if (db.objectStoreNames.contains(Stores.records) && !this.#closed) return resolve(db);
        db.close();
        forget();
      };
    });
    this.#db = opening;
    return opening;
  }
}

/** The page's IndexedDB, if it has one. */
function pageIndexedDb(): PageIndexedDb | undefined {
  const { indexedDB, IDBKeyRange } = globalThis as Partial<PageIndexedDb>;
  return indexedDB === undefined || IDBKeyRange === undefined ? undefined : { indexedDB, IDBKeyRange };
}
