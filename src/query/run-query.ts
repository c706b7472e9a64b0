/**
 * Runs a {@link QueryPlan} over the `records` store inside one read-only transaction.
 * Forward reads are `getAll(range, count)` batches (in Chromium several times faster
 * than a cursor step per record), filtered or not; reverse ones walk a cursor.
 * Counts without a filter are `index.count(range)`: nothing is read.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { requestResult } from '../store/idb-transaction.ts';
import type { IndexDefinition } from '../store/record-indexes.ts';
import type { RecordKeys } from '../store/read-transaction.ts';
import type { RecordRow } from '../store/schema.ts';
import { passesAll, valueAt } from './conditions.ts';
import type { KeySpan, QueryPlan } from './plan.ts';
import { VERSION_KEY } from './types.ts';

/** What to read besides the plan. */
export interface ReadOptions {
  /** At most this many (one more is read to know whether a next page exists). */
  readonly limit?: number;
  /** The key of the last record of the previous page. */
  readonly after?: readonly unknown[];
  /** Leave out values of a newer app-data version than this. */
  readonly maxVersion?: number;
}

/** A page of stored records, and the key it ended at when more follow. */
export interface ReadResult {
  readonly records: RecordRow[];
  readonly next?: unknown[];
}

/** The key of `record` in `index`. */
export function keyOf(record: RecordRow, index: IndexDefinition): unknown[] {
  return index.keyPath.map((path) => valueAt(record, path));
}

/** Can the caller use `record` (its value passes the plan's filter and is not too new)? */
function acceptor(plan: QueryPlan, maxVersion: number | undefined): ((record: RecordRow) => boolean) | undefined {
  if (plan.filter.size === 0 && maxVersion === undefined) return undefined;
  return (record) => {
    const version = valueAt(record.value, VERSION_KEY);
    return (maxVersion === undefined || typeof version !== 'number' || version <= maxVersion) && passesAll(plan.filter, record.value);
  };
}

/** The plan's spans past `after`, as key ranges (empty ones dropped), in reading order. */
function ranges(plan: QueryPlan, keys: RecordKeys, after: readonly unknown[] | undefined): IDBKeyRange[] {
  const out: IDBKeyRange[] = [];
  for (const original of plan.spans) {
    let s: KeySpan = original;
    try {
      if (after !== undefined && !plan.reverse && keys.cmp(after, s.lower) >= 0) s = { ...s, lower: after, lowerOpen: true };
      if (after !== undefined && plan.reverse && keys.cmp(after, s.upper) <= 0) s = { ...s, upper: after, upperOpen: true };
    } catch (error) {
      throw new SyncError(ErrorCode.INVALID_PAYLOAD, 'after: not a cursor of this query (pass the `next` of a previous page)', { cause: error });
    }
    const order = keys.cmp(s.lower, s.upper);
    if (order < 0 || (order === 0 && !s.lowerOpen && !s.upperOpen)) out.push(keys.range.bound(s.lower, s.upper, s.lowerOpen, s.upperOpen));
  }
  return plan.reverse ? out.reverse() : out;
}

/** The most one `getAll` of a batched walk reads: bounds memory on a long filtered read. */
const MAX_BATCH = 1_000;

/** The records of `range` past the key `after` (exclusive), as a range. */
function rangeAfter(keys: RecordKeys, range: IDBKeyRange, after: readonly unknown[]): IDBKeyRange {
  return keys.range.bound(after, range.upper, true, range.upperOpen);
}

/**
 * Feeds `take` the records of the plan past `after`, in order, until it says it has
 * enough (returns true). Forward reads are `getAll(range, n)` batches, each resuming
 * after the last key read (index keys end with the id, so they are unique): `want()`
 * says how many are still wanted (one batch does for a page whose records all pass);
 * each next batch asks for at least twice the last, up to {@link MAX_BATCH}, while the
 * filter leaves too few.
 * Reverse reads walk a cursor (`getAll` reads forward only).
 */
async function walk(
  records: IDBObjectStore,
  keys: RecordKeys,
  plan: QueryPlan,
  after: readonly unknown[] | undefined,
  take: (record: RecordRow) => boolean,
  want: () => number,
): Promise<void> {
  const index = records.index(plan.index.name);
  for (const whole of ranges(plan, keys, after)) {
    if (plan.reverse) {
      if (await walkCursor(index, whole, take)) return;
      continue;
    }
    let range = whole;
    let least = 0;
    for (;;) {
      const n = Math.min(MAX_BATCH, Math.max(want(), least));
      const batch = (await requestResult(index.getAll(range, n))) as RecordRow[];
      for (const record of batch) if (take(record)) return;
      const last = batch[batch.length - 1];
      if (batch.length < n || last === undefined) break;
      const lastKey = keyOf(last, plan.index);
      // No record key equals a span's upper bound (keys are longer); should one, the span is done.
      if (keys.cmp(lastKey, range.upper) >= 0) break;
      range = rangeAfter(keys, range, lastKey);
      least = Math.min(MAX_BATCH, 2 * n);
    }
  }
}

/** Walks `range` backwards with a cursor until `take` has enough; true when it has. */
function walkCursor(index: IDBIndex, range: IDBKeyRange, take: (record: RecordRow) => boolean): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const request = index.openCursor(range, 'prev');
    request.onsuccess = () => {
      const cursor = request.result;
      if (cursor === null) resolve(false);
      else if (take(cursor.value as RecordRow)) resolve(true);
      else cursor.continue();
    };
    request.onerror = () => reject(request.error);
  });
}

/** A page of the plan's records. */
export async function readPage(records: IDBObjectStore, keys: RecordKeys, plan: QueryPlan, options: ReadOptions): Promise<ReadResult> {
  const accept = acceptor(plan, options.maxVersion);
  const limit = options.limit ?? Infinity;
  const out: RecordRow[] = [];
  const take = (record: RecordRow): boolean => {
    if (accept === undefined || accept(record)) out.push(record);
    return out.length > limit;
  };
  // What is missing, and one more to know whether a next page exists.
  await walk(records, keys, plan, options.after, take, () => Math.min(MAX_BATCH, limit + 1 - out.length));
  if (out.length <= limit) return { records: out };
  out.length = limit;
  return { records: out, next: keyOf(out[limit - 1] as RecordRow, plan.index) };
}

/** How many records the plan matches (values of every app-data version). */
export async function countRecords(records: IDBObjectStore, keys: RecordKeys, plan: QueryPlan): Promise<number> {
  const accept = acceptor(plan, undefined);
  if (accept === undefined) {
    const index = records.index(plan.index.name);
    const counts = await Promise.all(ranges(plan, keys, undefined).map((range) => requestResult(index.count(range))));
    return counts.reduce((sum, n) => sum + n, 0);
  }
  let count = 0;
  const take = (record: RecordRow): boolean => {
    if (accept(record)) count++;
    return false;
  };
  await walk(records, keys, plan, undefined, take, () => MAX_BATCH);
  return count;
}
