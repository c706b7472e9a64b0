/**
 * The server's tombstone collector: runs the store's sweep (see
 * `stores/tombstone-sweep.ts`) in bounded batches, now and then on its own and whenever
 * asked. One transaction looks at `batchRows` rows at most, and the event loop gets a
 * turn between transactions, so a backlog of a million tombstones never holds a pull
 * or a push for longer than one batch. Runs never overlap: a run asked for while
 * another is under way starts after it.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { SyncCursor } from '../protocol/types.ts';
import { nextTurn } from './next-turn.ts';
import { unrefTimer, type ServerTimers } from './timers.ts';
import type { ServerStore } from './types.ts';

/** 30 days: how long a deleted record's tombstone stays by default. */
export const DEFAULT_TOMBSTONE_HORIZON_MS = 30 * 24 * 60 * 60 * 1000;
/** 1 hour: how often the server sweeps by default. */
export const DEFAULT_GC_INTERVAL_MS = 60 * 60 * 1000;
/** Rows one sweep transaction looks at, by default. */
export const DEFAULT_GC_BATCH_ROWS = 1000;

/** What the collector is told. */
export interface TombstoneGcSettings {
  /** Tombstones written longer ago than this go; `Infinity` keeps them all. */
  readonly horizonMs: number;
  /** Time between two runs; 0: none on its own, only when asked. */
  readonly intervalMs: number;
  /** Most rows one transaction looks at. */
  readonly batchRows: number;
}

/** What one run did. */
export interface GarbageReport {
  /** Tombstones removed. */
  readonly removed: number;
  /** Rows looked at. */
  readonly scanned: number;
  /** Transactions it took. */
  readonly batches: number;
  /** The store-wide gc floor afterwards (0: nothing ever removed, or a store that cannot sweep). */
  readonly floor: SyncCursor;
}

/** The collector of one server. */
export interface TombstoneCollector {
  /** Runs one whole sweep now (after a run under way), batch after batch; resolves with what it did. */
  collect(): Promise<GarbageReport>;
  /** Stops the schedule and waits for a run under way, which stops after its current batch. */
  close(): Promise<void>;
}

/** What the collector needs from the server besides its store. */
export interface CollectorEnvironment {
  readonly now: () => number;
  readonly timers: Pick<ServerTimers, 'setTimeout' | 'clearTimeout'>;
  /** Told when a scheduled run fails; the next one is tried at the next interval. */
  readonly onError: (error: unknown) => void;
}

/** Checks settings given in part, and fills in the defaults. */
export function resolveGcSettings(given: Partial<TombstoneGcSettings>): TombstoneGcSettings {
  const settings = {
    horizonMs: given.horizonMs ?? DEFAULT_TOMBSTONE_HORIZON_MS,
    intervalMs: given.intervalMs ?? DEFAULT_GC_INTERVAL_MS,
    batchRows: given.batchRows ?? DEFAULT_GC_BATCH_ROWS,
  };
  const refuse = (name: string, must: string, value: number): never => {
    throw new SyncError(ErrorCode.INVALID_CONFIG, `${name} must be ${must}, got ${value}`);
  };
  if (!(settings.horizonMs >= 0)) refuse('tombstoneHorizonMs', 'a number of milliseconds ≥ 0 (Infinity keeps tombstones)', settings.horizonMs);
  if (!(settings.intervalMs >= 0) || !Number.isFinite(settings.intervalMs)) refuse('gcIntervalMs', 'a finite number of milliseconds ≥ 0 (0: only when asked)', settings.intervalMs);
  if (!Number.isSafeInteger(settings.batchRows) || settings.batchRows < 1) refuse('gcBatchRows', 'an integer ≥ 1', settings.batchRows);
  return settings;
}

/**
 * The collector over `store`. Scheduled runs start at once when the store can sweep,
 * the horizon is finite and `intervalMs` is not 0; their timer does not keep a Node
 * process alive.
 */
export function tombstoneCollector(store: ServerStore, settings: TombstoneGcSettings, env: CollectorEnvironment): TombstoneCollector {
  let closed = false;
  let running: Promise<unknown> = Promise.resolve();
  let timer: unknown;

  async function sweepAll(): Promise<GarbageReport> {
    let report: GarbageReport = { removed: 0, scanned: 0, batches: 0, floor: 0 };
    const sweep = store.sweepTombstones?.bind(store);
    if (sweep === undefined || !Number.isFinite(settings.horizonMs)) return report;
    for (;;) {
      const result = await sweep({ now: env.now(), horizonMs: settings.horizonMs, maxRows: settings.batchRows });
      report = { removed: report.removed + result.removed, scanned: report.scanned + result.scanned, batches: report.batches + 1, floor: result.floor };
      if (result.done || closed) return report;
      // A turn for pulls, pushes and health between two transactions.
      await nextTurn();
    }
  }

  function collect(): Promise<GarbageReport> {
    const run = running.then(sweepAll, sweepAll);
    running = run.catch(() => undefined);
    return run;
  }

  function schedule(): void {
    if (closed) return;
    timer = env.timers.setTimeout(() => {
      timer = undefined;
      collect().then(schedule, (error: unknown) => {
        if (!closed) env.onError(error);
        schedule();
      });
    }, settings.intervalMs);
    unrefTimer(timer);
  }

  if (store.sweepTombstones !== undefined && Number.isFinite(settings.horizonMs) && settings.intervalMs > 0) schedule();

  return {
    collect,
    async close() {
      closed = true;
      if (timer !== undefined) env.timers.clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
