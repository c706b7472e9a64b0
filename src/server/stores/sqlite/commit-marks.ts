/**
 * How far the writer's commits have gone, in memory shared with the read workers
 * (`read-worker.ts`), so that a worker's read connection serves no commit before it is
 * flushed to disk, as the store's own reader does (`flushed-commit.ts`), without the
 * writer ever waiting for a worker.
 *
 * The writer counts a commit as started before its COMMIT and as flushed once its flush
 * has ended (commits are made one at a time). A worker fixes its snapshot, then reads
 * the started count: every commit in the snapshot was started before, so once the
 * flushed count reaches that figure, all of them are on disk. A snapshot fixed while no
 * commit was in flight holds exactly the commits flushed so far, and stays the freshest
 * durable one until the next flush ends: reads are served from it meanwhile, as the
 * store's reader serves them from the snapshot before a commit.
 *
 * While the writer checkpoints, workers hold no snapshot and take none: a snapshot in
 * the WAL would keep the checkpoint from copying the WAL back whole, or the next commit
 * from starting it over, and the WAL would grow while pulls keep coming.
 */

const STARTED = 0;
const FLUSHED = 1;
const STATE = 2;
/** Bumped at every flush, checkpoint's end, failure or close: what a waiting worker sleeps on (no wake-up is lost between its check and its sleep). */
const WAKE = 3;
/** 1 while the writer checkpoints: a worker takes no snapshot meanwhile (see `flushed-commit.ts`). */
const CHECKPOINTING = 4;

/** What {@link CommitMarks.awaitFlushed} can find. */
export type FlushWait = 'flushed' | 'broken' | 'closed';
const STATES: readonly FlushWait[] = ['flushed', 'broken', 'closed'];

/** The counters over one shared buffer, from either side. */
export interface CommitMarks {
  /** The shared memory, to hand to a worker. */
  readonly buffer: SharedArrayBuffer;
  /** Writer: a COMMIT is about to be made. */
  starting(): void;
  /** Writer: every commit started so far is on disk, or was not made (a failed COMMIT). */
  flushed(): void;
  /** Writer: a flush failed (the store answers nothing more) or the store closed. */
  end(state: 'broken' | 'closed'): void;
  /** Writer: a checkpoint begins (true) or has ended (false). */
  checkpointing(on: boolean): void;
  /** Whether the writer is checkpointing. */
  isCheckpointing(): boolean;
  /** Worker: blocks its thread while the writer checkpoints. */
  awaitCheckpointed(): void;
  /** Commits started so far. */
  started(): number;
  /** Commits flushed so far. */
  flushedCount(): number;
  /** Worker: blocks its thread until `count` commits are flushed, or the store broke or closed. */
  awaitFlushed(count: number): FlushWait;
}

/** Counters over `buffer` (a worker's), or new ones (the writer's). */
export function commitMarks(buffer = new SharedArrayBuffer(5 * Int32Array.BYTES_PER_ELEMENT)): CommitMarks {
  const marks = new Int32Array(buffer);
  const wake = () => {
    Atomics.add(marks, WAKE, 1);
    Atomics.notify(marks, WAKE);
  };
  return {
    buffer,
    starting: () => void Atomics.add(marks, STARTED, 1),
    flushed() {
      Atomics.store(marks, FLUSHED, Atomics.load(marks, STARTED));
      wake();
    },
    end(state) {
      Atomics.store(marks, STATE, STATES.indexOf(state));
      wake();
    },
    checkpointing(on) {
      Atomics.store(marks, CHECKPOINTING, on ? 1 : 0);
      wake();
    },
    isCheckpointing: () => Atomics.load(marks, CHECKPOINTING) === 1,
    awaitCheckpointed() {
      for (;;) {
        const woken = Atomics.load(marks, WAKE);
        if (Atomics.load(marks, CHECKPOINTING) === 0 || Atomics.load(marks, STATE) !== 0) return;
        Atomics.wait(marks, WAKE, woken);
      }
    },
    started: () => Atomics.load(marks, STARTED),
    flushedCount: () => Atomics.load(marks, FLUSHED),
    awaitFlushed(count) {
      for (;;) {
        const woken = Atomics.load(marks, WAKE);
        const state = Atomics.load(marks, STATE);
        if (state !== 0) return STATES[state] ?? 'closed';
        // The counts wrap past 2^31 commits: compared by their difference.
        if (((Atomics.load(marks, FLUSHED) - count) | 0) >= 0) return 'flushed';
        Atomics.wait(marks, WAKE, woken);
      }
    },
  };
}
