/**
 * The tombstone sweep, once for every store: which tombstones are old enough to go,
 * how far one transaction looks, and what it records. Each store supplies its own
 * steps (SQL statements, or the memory store's maps); the rule lives here.
 *
 * How old is a tombstone? Rows carry no server time, only their version, and a
 * version says nothing about when it was written. Rather than stamp every row (a
 * column on the largest table, a migration of every existing database, a clock in
 * every push), each sweep writes down a **mark**: "at server time `at`, the latest
 * version was `version`", taken under the write lock, so every row at or below it was
 * written at `at` or before. The tombstones to remove are then those at or below the
 * newest mark older than the horizon. Marks are kept at most one per
 * {@link MARKS_PER_HORIZON}th of the horizon, and those older than the mark in use are
 * dropped, so there are about a hundred of them whatever the traffic. A tombstone
 * therefore goes between `horizonMs` and `horizonMs` + 1% + the sweep interval after
 * its write; a database that had tombstones before it was first swept keeps them a
 * full horizon from that first sweep.
 *
 * Where has it got to? A store keeps `scanned`: every tombstone at or below it is
 * gone. Rows below it never become tombstones again (a delete gives its row a new,
 * higher version), so a sweep looks only above it, at most `maxRows` rows per
 * transaction, in version order, and moves it up to the last row it looked at.
 *
 * What does a reader learn? The **gc floor**: the highest version removed, store-wide
 * and per collective, raised in the same transaction as the removal and kept with the
 * data. A pull whose cursor is below the floor of its collectives may have missed a
 * delete and is refused `CURSOR_EXPIRED` (see `serve-pull.ts`). Floors are per
 * collective because a restricted reader's cursor moves only over the collectives it
 * may read: a store-wide floor would expire every quiet reader whenever anyone else's
 * tombstones went, and tell them that someone deleted something.
 */
import { ErrorCode, SyncError } from '../../protocol/errors.ts';
import type { SyncCursor } from '../../protocol/types.ts';

/** Marks kept per horizon: a tombstone outlives its horizon by at most this fraction of it (besides the sweep interval). */
export const MARKS_PER_HORIZON = 100;

/** What one call of `ServerStore.sweepTombstones` is asked to do. */
export interface TombstoneSweep {
  /** The server's time (epoch ms), from its injected clock. */
  readonly now: number;
  /** Tombstones written longer ago than this go. 0: every tombstone written before this sweep. */
  readonly horizonMs: number;
  /** Most rows one transaction looks at (tombstones or not): bounds its time and its locks. */
  readonly maxRows: number;
}

/** What one sweep transaction did. */
export interface SweepResult {
  /** Tombstones removed. */
  readonly removed: number;
  /** Rows looked at. */
  readonly scanned: number;
  /** The store-wide gc floor after it: the highest version ever removed (0: none). */
  readonly floor: SyncCursor;
  /** No tombstone past the horizon is left; false: call again for the next rows. */
  readonly done: boolean;
}

/** "At server time `at`, every version up to `version` had been written." */
export interface GcMark {
  readonly at: number;
  readonly version: SyncCursor;
}

/** What a store keeps for its sweeps. */
export interface GcState {
  /** The store-wide floor. */
  readonly floor: SyncCursor;
  /** Every tombstone at or below this version has been removed. */
  readonly scanned: SyncCursor;
  /** Oldest first. */
  readonly marks: readonly GcMark[];
}

/** A removed tombstone, as far as the floors care. */
export interface RemovedTombstone {
  readonly collective: string;
  readonly version: SyncCursor;
}

/** How one store runs one sweep transaction. Every step but `begin` runs between `begin` and `commit`. */
export interface SweepSteps {
  /** Starts the transaction, holding whatever lock pushes hold (no version may be handed out meanwhile). */
  begin(): void | Promise<void>;
  commit(): void | Promise<void>;
  /** Undoes everything since `begin`; must not throw. */
  rollback(): void | Promise<void>;
  readState(): Promise<GcState>;
  /** The store's latest version, as `ServerStore.latestVersion` (removed rows included). */
  latestVersion(): Promise<SyncCursor>;
  /** Adds a mark; a mark at the same `at` is replaced. */
  putMark(mark: GcMark): Promise<void>;
  /** Drops the marks older than `at`. */
  dropMarksBefore(at: number): Promise<void>;
  /** Looks at the rows with versions in (after, upTo], in order, at most `limit`: how many, and the last one's version. */
  scan(after: SyncCursor, upTo: SyncCursor, limit: number): Promise<{ readonly rows: number; readonly last: SyncCursor }>;
  /** Removes the tombstones with versions in (after, through]. */
  removeTombstones(after: SyncCursor, through: SyncCursor): Promise<RemovedTombstone[]>;
  /** Keeps the new store-wide floor, the new `scanned`, and raises each named collective's floor to its value. */
  saveState(floor: SyncCursor, scanned: SyncCursor, floors: ReadonlyMap<string, SyncCursor>): Promise<void>;
}

function checkSweep({ now, horizonMs, maxRows }: TombstoneSweep): void {
  if (!Number.isFinite(now)) throw new SyncError(ErrorCode.INVALID_CONFIG, `A tombstone sweep needs the time as epoch milliseconds, got ${now}`);
  if (!(horizonMs >= 0) || !Number.isFinite(horizonMs)) throw new SyncError(ErrorCode.INVALID_CONFIG, `The tombstone horizon must be a finite number of milliseconds ≥ 0, got ${horizonMs}`);
  if (!Number.isSafeInteger(maxRows) || maxRows < 1) throw new SyncError(ErrorCode.INVALID_CONFIG, `A tombstone sweep must look at 1 row or more per transaction, got ${maxRows}`);
}

/** The version up to which tombstones may go: that of the newest mark at or before `cutoff`, or undefined. */
function usableMark(marks: readonly GcMark[], cutoff: number): GcMark | undefined {
  let used: GcMark | undefined;
  for (const mark of marks) if (mark.at <= cutoff && (used === undefined || mark.at >= used.at)) used = mark;
  return used;
}

/** The body of one sweep transaction, between `begin` and `commit`. */
async function sweepOnce(steps: SweepSteps, sweep: TombstoneSweep): Promise<SweepResult> {
  const state = await steps.readState();
  const marks = [...state.marks];
  const newest = marks[marks.length - 1];
  if (newest === undefined || sweep.now - newest.at >= sweep.horizonMs / MARKS_PER_HORIZON) {
    const mark = { at: sweep.now, version: await steps.latestVersion() };
    await steps.putMark(mark);
    marks.push(mark);
  }
  const used = usableMark(marks, sweep.now - sweep.horizonMs);
  if (used === undefined) return { removed: 0, scanned: 0, floor: state.floor, done: true };
  await steps.dropMarksBefore(used.at);
  if (state.scanned >= used.version) return { removed: 0, scanned: 0, floor: state.floor, done: true };
  const { rows, last } = await steps.scan(state.scanned, used.version, sweep.maxRows);
  // Fewer rows than asked: nothing else lies below the mark, so the scan reaches it.
  const through = rows < sweep.maxRows ? used.version : last;
  const removed = await steps.removeTombstones(state.scanned, through);
  const floors = new Map<string, SyncCursor>();
  let floor = state.floor;
  for (const row of removed) {
    floors.set(row.collective, Math.max(floors.get(row.collective) ?? 0, row.version));
    floor = Math.max(floor, row.version);
  }
  await steps.saveState(floor, through, floors);
  return { removed: removed.length, scanned: rows, floor, done: through >= used.version };
}

/**
 * Runs one sweep transaction made of `steps`: records a mark, removes the tombstones
 * among the next `maxRows` rows past the horizon, raises the floors. All of it
 * commits, or none.
 */
export async function runSweep(steps: SweepSteps, sweep: TombstoneSweep): Promise<SweepResult> {
  checkSweep(sweep);
  let result: SweepResult;
  try {
    await steps.begin();
    result = await sweepOnce(steps, sweep);
    await steps.commit();
  } catch (error) {
    await steps.rollback();
    throw error;
  }
  return result;
}
