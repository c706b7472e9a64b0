/**
 * The physical limits of IndexedDB in this browser, measured with `idb` on the same
 * records the SDK writes: one put per record (batched per transaction), and the packed
 * layout (many records in one IndexedDB value). Also what a packed replica would cost
 * for the operations a per-record one does cheaply (read or update one record).
 */
import { deleteDB, openDB, unwrap, type IDBPDatabase } from 'idb';
import { benchRecords, type BenchRecord } from '../../tools/records.ts';

let dbCounter = 0;
function freshName(prefix: string): string {
  return `${prefix}-${Date.now()}-${dbCounter++}`;
}

/** Records shaped as the replica receives them from a pull (value + metadata). */
export function pulledShape(records: readonly BenchRecord[]): object[] {
  const source = '0190a5b4-0000-7000-8000-000000000001';
  return records.map((r, i) => ({
    collective: r.collective,
    id: r.id,
    op: 'put',
    value: r.value,
    hlc: `${String(1_700_000_000_000 + i).padStart(15, '0')}:000000:${source}`,
    source,
    version: i + 1,
  }));
}

async function openRecordsDb(name: string, withLog: boolean): Promise<IDBPDatabase> {
  return openDB(name, 1, {
    upgrade(db) {
      db.createObjectStore('records', { keyPath: ['collective', 'id'] });
      if (withLog) db.createObjectStore('log', { autoIncrement: true });
    },
  });
}

/** Options of {@link rawPut}. */
export interface RawPutOptions {
  readonly count: number;
  readonly bytes: number;
  /** Records per transaction. */
  readonly batch: number;
  /** Also `add` a change-log entry per record (what a replica's local write does). */
  readonly withLog?: boolean;
  /** Store pulled-change objects (value + hlc/source/version) instead of {collective,id,value}. */
  readonly pulled?: boolean;
  /** Plain IndexedDB calls instead of `idb` (no per-request promise). */
  readonly plain?: boolean;
}

/** The same writes as {@link rawPut} through the plain IndexedDB API. */
async function plainPut(values: readonly object[], records: readonly BenchRecord[], options: RawPutOptions, db: IDBDatabase): Promise<void> {
  for (let from = 0; from < values.length; from += options.batch) {
    const stores = options.withLog === true ? ['records', 'log'] : ['records'];
    const tx = db.transaction(stores, 'readwrite');
    const recordsStore = tx.objectStore('records');
    const log = options.withLog === true ? tx.objectStore('log') : undefined;
    const end = Math.min(values.length, from + options.batch);
    for (let i = from; i < end; i++) {
      recordsStore.put(values[i]);
      if (log !== undefined) {
        const r = records[i] as BenchRecord;
        log.add({ collective: r.collective, id: r.id, op: 'put' });
      }
    }
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error);
    });
  }
}

/** Writes `count` records one put each, `batch` per transaction; returns the elapsed ms. */
export async function rawPut(options: RawPutOptions): Promise<number> {
  const records = benchRecords(options.count, options.bytes);
  const values: object[] = options.pulled === true ? pulledShape(records) : records;
  const name = freshName('limit-raw');
  const db = await openRecordsDb(name, options.withLog === true);
  const start = performance.now();
  if (options.plain === true) await plainPut(values, records, options, unwrap(db));
  else for (let from = 0; from < values.length; from += options.batch) {
    const stores: ('records' | 'log')[] = options.withLog === true ? ['records', 'log'] : ['records'];
    const tx = db.transaction(stores, 'readwrite');
    const recordsStore = tx.objectStore('records');
    const log = options.withLog === true ? tx.objectStore('log') : undefined;
    const end = Math.min(values.length, from + options.batch);
    for (let i = from; i < end; i++) {
      void recordsStore.put(values[i]);
      if (log !== undefined) {
        const r = records[i] as BenchRecord;
        void log.add({ collective: r.collective, id: r.id, op: 'put' });
      }
    }
    await tx.done;
  }
  const ms = performance.now() - start;
  db.close();
  await deleteDB(name);
  return ms;
}

/** Options of {@link packedPut}. */
export interface PackedPutOptions {
  readonly count: number;
  readonly bytes: number;
  /** Records per IndexedDB value. */
  readonly chunk: number;
  /** Values per transaction. */
  readonly chunksPerTx: number;
  readonly pulled?: boolean;
}

/** Writes `count` records packed `chunk` to a value; returns the elapsed ms. */
export async function packedPut(options: PackedPutOptions): Promise<number> {
  const records = benchRecords(options.count, options.bytes);
  const values: object[] = options.pulled === true ? pulledShape(records) : records;
  const chunks: object[][] = [];
  for (let from = 0; from < values.length; from += options.chunk) chunks.push(values.slice(from, from + options.chunk));
  const name = freshName('limit-packed');
  const db = await openDB(name, 1, { upgrade: (d) => void d.createObjectStore('chunks') });
  const start = performance.now();
  for (let from = 0; from < chunks.length; from += options.chunksPerTx) {
    const tx = db.transaction('chunks', 'readwrite');
    const end = Math.min(chunks.length, from + options.chunksPerTx);
    for (let i = from; i < end; i++) void tx.store.put(chunks[i], i);
    await tx.done;
  }
  const ms = performance.now() - start;
  db.close();
  await deleteDB(name);
  return ms;
}

/** What one packed-vs-per-record comparison measured (ms, for the whole loop). */
export interface PackedTradeoff {
  readonly records: number;
  readonly chunk: number;
  readonly ops: number;
  /** Reading one record: `get` by key vs `get` of its chunk and indexing into it. */
  readonly readOneMs: { readonly perRecord: number; readonly packed: number };
  /** Updating one record, one transaction each: `put` vs read-modify-write of its chunk. */
  readonly updateOneMs: { readonly perRecord: number; readonly packed: number };
  /** Reading everything back: `getAll` of records vs `getAll` of chunks (flattened). */
  readonly readAllMs: { readonly perRecord: number; readonly packed: number };
}

/**
 * Fills one per-record and one packed database with the same `records` and times
 * `ops` random single-record reads and updates (each in its own transaction, as an app
 * editing one note would) and a full read-back on each.
 */
export async function packedTradeoff(options: { records: number; bytes: number; chunk: number; ops: number }): Promise<PackedTradeoff> {
  const records = benchRecords(options.records, options.bytes);
  const perName = freshName('tradeoff-per');
  const packName = freshName('tradeoff-pack');
  const per = await openRecordsDb(perName, false);
  const pack = await openDB(packName, 1, { upgrade: (d) => void d.createObjectStore('chunks') });
  {
    const tx = per.transaction('records', 'readwrite');
    for (const r of records) void tx.store.put(r);
    await tx.done;
    const ptx = pack.transaction('chunks', 'readwrite');
    for (let from = 0, i = 0; from < records.length; from += options.chunk, i++) void ptx.store.put(records.slice(from, from + options.chunk), i);
    await ptx.done;
  }
  // The same pseudo-random sequence of indexes for both layouts.
  const picks: number[] = [];
  for (let k = 0, x = 12345; k < options.ops; k++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    picks.push(x % options.records);
  }
  const keyOf = (i: number): [string, string] => {
    const r = records[i] as BenchRecord;
    return [r.collective, r.id];
  };

  let t = performance.now();
  for (const i of picks) await per.get('records', keyOf(i));
  const readPer = performance.now() - t;
  t = performance.now();
  for (const i of picks) {
    const chunk = (await pack.get('chunks', Math.floor(i / options.chunk))) as BenchRecord[];
    void chunk[i % options.chunk];
  }
  const readPack = performance.now() - t;

  t = performance.now();
  for (const i of picks) {
    const r = records[i] as BenchRecord;
    await per.put('records', { ...r, value: { ...r.value, done: !r.value.done } });
  }
  const updatePer = performance.now() - t;
  t = performance.now();
  for (const i of picks) {
    const tx = pack.transaction('chunks', 'readwrite');
    const key = Math.floor(i / options.chunk);
    const chunk = (await tx.store.get(key)) as BenchRecord[];
    const r = chunk[i % options.chunk] as BenchRecord;
    chunk[i % options.chunk] = { ...r, value: { ...r.value, done: !r.value.done } };
    void tx.store.put(chunk, key);
    await tx.done;
  }
  const updatePack = performance.now() - t;

  t = performance.now();
  const all = await per.getAll('records');
  const readAllPer = performance.now() - t;
  t = performance.now();
  const chunks = (await pack.getAll('chunks')) as BenchRecord[][];
  const flat = chunks.flat();
  const readAllPack = performance.now() - t;
  if (all.length !== flat.length) throw new Error(`read-back mismatch: ${all.length} vs ${flat.length}`);

  per.close();
  pack.close();
  await deleteDB(perName);
  await deleteDB(packName);
  return {
    records: options.records,
    chunk: options.chunk,
    ops: options.ops,
    readOneMs: { perRecord: readPer, packed: readPack },
    updateOneMs: { perRecord: updatePer, packed: updatePack },
    readAllMs: { perRecord: readAllPer, packed: readAllPack },
  };
}

/** How {@link applyVariant} applies a pulled batch. */
export type ApplyMode = 'blind-put' | 'get-then-put' | 'log-lookup-then-put';

/**
 * What a replica's apply of pulled batches costs per way of doing it: `count` pulled
 * changes in batches of `batch`, each batch in one transaction with a cursor write.
 * `blind-put`: one put per change. `get-then-put`: reads the current record first (to
 * compare clocks), then puts. `log-lookup-then-put`: looks each key up in an (empty)
 * change-log index first (to find pending local changes), then puts. Returns ms.
 */
export async function applyVariant(options: { count: number; bytes: number; batch: number; mode: ApplyMode }): Promise<number> {
  const changes = pulledShape(benchRecords(options.count, options.bytes)) as { collective: string; id: string }[];
  const name = freshName('apply');
  const db = await openDB(name, 1, {
    upgrade(d) {
      d.createObjectStore('records', { keyPath: ['collective', 'id'] });
      d.createObjectStore('meta');
      const log = d.createObjectStore('log', { autoIncrement: true });
      log.createIndex('byKey', ['collective', 'id']);
    },
  });
  const start = performance.now();
  for (let from = 0; from < changes.length; from += options.batch) {
    const batch = changes.slice(from, from + options.batch);
    const tx = db.transaction(['records', 'meta', 'log'], 'readwrite');
    const records = tx.objectStore('records');
    if (options.mode === 'get-then-put') {
      const current = await Promise.all(batch.map((c) => records.get([c.collective, c.id])));
      batch.forEach((c, i) => {
        if (current[i] === undefined || current[i] !== null) void records.put(c);
      });
    } else if (options.mode === 'log-lookup-then-put') {
      const byKey = tx.objectStore('log').index('byKey');
      const pending = await Promise.all(batch.map((c) => byKey.getKey([c.collective, c.id])));
      batch.forEach((c, i) => {
        if (pending[i] === undefined) void records.put(c);
      });
    } else {
      for (const c of batch) void records.put(c);
    }
    void tx.objectStore('meta').put(from + batch.length, 'pullCursor');
    await tx.done;
  }
  const ms = performance.now() - start;
  db.close();
  await deleteDB(name);
  return ms;
}
