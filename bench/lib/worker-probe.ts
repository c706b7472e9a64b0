/**
 * A probe put into the SDK's worker over CDP (`Runtime.evaluate`), without touching the
 * worker's code, for the length of one measured operation:
 *
 * - a `setTimeout(0)` heartbeat: the longest gap between two beats is the longest time
 *   the worker could not start a new task — its longest task, plus up to the 4 ms the
 *   HTML timer clamp adds to nested timeouts, plus any tasks queued ahead of the timer.
 *   A PerformanceObserver `longtask` in the page cannot see worker tasks, and Chromium
 *   does not report `longtask` inside workers.
 * - a count of the read-write transactions the worker opens, by durability, and of
 *   those that write the `records` store: what the plain-IndexedDB limit must match
 *   (same durability, same records per transaction). One wrapper call per transaction,
 *   not per put, so it costs nothing measurable.
 */
import type { WorkerSession } from './worker-target.ts';

/** What the probe saw during one operation. */
export interface ProbeReading {
  /** Longest gap between heartbeats, ms. */
  readonly maxGapMs: number;
  /** Gaps of 50 ms or more. */
  readonly gapsOver50: number;
  /** Read-write transactions opened, by durability (`default` when none was asked). */
  readonly readwrite: Readonly<Record<string, number>>;
  /** Read-write transactions whose scope includes the `records` store, by durability. */
  readonly recordsTx: Readonly<Record<string, number>>;
}

const PROBE = `(() => {
  const p = { maxGap: 0, over50: 0, last: performance.now(), running: true, readwrite: {}, recordsTx: {} };
  const beat = () => {
    const now = performance.now();
    const gap = now - p.last;
    if (gap > p.maxGap) p.maxGap = gap;
    if (gap >= 50) p.over50++;
    p.last = now;
    if (p.running) setTimeout(beat, 0);
  };
  setTimeout(beat, 0);
  const original = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (stores, mode, options) {
    if (mode === 'readwrite') {
      const d = (options && options.durability) || 'default';
      p.readwrite[d] = (p.readwrite[d] || 0) + 1;
      const names = typeof stores === 'string' ? [stores] : Array.from(stores);
      if (names.includes('records')) p.recordsTx[d] = (p.recordsTx[d] || 0) + 1;
    }
    return original.apply(this, arguments);
  };
  p.stop = () => {
    p.running = false;
    IDBDatabase.prototype.transaction = original;
    const now = performance.now();
    if (now - p.last > p.maxGap) p.maxGap = now - p.last;
    return { maxGapMs: p.maxGap, gapsOver50: p.over50, readwrite: p.readwrite, recordsTx: p.recordsTx };
  };
  globalThis.__pulseBenchProbe = p;
  return true;
})()`;

/** A started probe. */
export interface WorkerProbe {
  /** Stops the heartbeat, removes the wrapper and returns what was seen. */
  stop(): Promise<ProbeReading>;
}

/** Starts the probe in the worker. */
export async function startProbe(worker: WorkerSession): Promise<WorkerProbe> {
  await worker.evaluate<boolean>(PROBE);
  return {
    stop: () => worker.evaluate<ProbeReading>('globalThis.__pulseBenchProbe.stop()'),
  };
}

/** The durability most of the reading's `records` transactions used, and how many there were. */
export function recordsDurability(reading: ProbeReading): { durability: IDBTransactionDurability; transactions: number } {
  let best: [string, number] = ['default', 0];
  for (const entry of Object.entries(reading.recordsTx)) if (entry[1] > best[1]) best = entry;
  const total = Object.values(reading.recordsTx).reduce((a, b) => a + b, 0);
  return { durability: best[0] as IDBTransactionDurability, transactions: total };
}

/** The reading as one line: `200 read-write tx on records (relaxed 200); longest worker gap 31 ms`. */
export function describeReading(reading: ProbeReading): string {
  const by = Object.entries(reading.recordsTx).map(([d, n]) => `${d} ${n}`).join(', ');
  const total = Object.values(reading.recordsTx).reduce((a, b) => a + b, 0);
  return `${total} read-write transaction(s) on records (${by || 'none'})`;
}
