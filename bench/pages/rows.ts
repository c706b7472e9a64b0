/**
 * The rows every path writes, built once for all: the same index gives the same value
 * (tools/records.ts) and the same row as the replica stores it (`toRecordRow`, the
 * replica's own mapping), so the plain-IndexedDB limits and the peers store exactly
 * the shape the SDK stores — should the replica's row change, the limits follow.
 */
import { formatHlc } from '../../src/clock/hlc.ts';
import type { PulledChange } from '../../src/protocol/types.ts';
import { toRecordRow, type RecordRow } from '../../src/store/schema.ts';
import { benchId, benchValue } from '../../tools/records.ts';

/** The writer every bench row names (a fixed UUID v7). */
export const BENCH_SOURCE = '0190a5b4-0000-7000-8000-000000000001';

const hlcOf = (i: number): string => formatHlc({ wallMs: 1_700_000_000_000 + i, counter: 0, node: BENCH_SOURCE });

/** Record `i` as a pulled change: server version i + 1. */
export function pulledChange(i: number, bytes: number, collective: string): PulledChange {
  return { collective, id: benchId(i), op: 'put', value: benchValue(i, bytes), hlc: hlcOf(i), source: BENCH_SOURCE, version: i + 1 };
}

/** Record `i` as the replica stores a local write of it (no server version yet). */
export function localRow(i: number, bytes: number, collective: string): RecordRow {
  return toRecordRow({ collective, id: benchId(i), op: 'put', value: benchValue(i, bytes), hlc: hlcOf(i), source: BENCH_SOURCE });
}

/** Record `i` as the replica stores it once pulled. */
export function pulledRow(i: number, bytes: number, collective: string): RecordRow {
  return toRecordRow(pulledChange(i, bytes, collective));
}

/** Rows `from … from+count-1` of one kind. */
export function rowsOf(make: (i: number, bytes: number, collective: string) => RecordRow, from: number, count: number, bytes: number, collective: string): RecordRow[] {
  const out: RecordRow[] = [];
  for (let i = from; i < from + count; i++) out.push(make(i, bytes, collective));
  return out;
}

/**
 * Writes `count` items in batches of `batch`: `make` builds a batch (not timed), `write`
 * stores it (timed, until it resolves). Returns the summed write time, ms. Building
 * each batch just before its write keeps memory flat at a million records, and keeps
 * the time of making test data out of the figure.
 */
export async function timedBatches<T>(
  count: number,
  batch: number,
  make: (from: number, size: number) => T[],
  write: (items: T[], from: number, to: number) => Promise<void>,
): Promise<number> {
  let ms = 0;
  for (let from = 0; from < count; from += batch) {
    const size = Math.min(batch, count - from);
    const items = make(from, size);
    const start = performance.now();
    await write(items, from, from + size);
    ms += performance.now() - start;
  }
  return ms;
}
