/**
 * The SQLite store's COMMIT, its flush to disk and its checkpoints (see `wal-sync.ts` for
 * the flush itself).
 *
 * Reads do not wait for a commit's flush. Before each COMMIT the reader opens a read
 * transaction, so it keeps the snapshot from before the commit (every commit in it
 * flushed already) until the commit's flush has ended; reads meanwhile are served from
 * it, and none sees a commit that is not on disk. Reads used to wait for the flush
 * instead, and under load a flush was in flight half of the time: pulls piled up behind
 * each one and ran in one burst after it, a hundred milliseconds and more of the event
 * loop that every push then waited for.
 *
 * That snapshot would keep SQLite's automatic checkpoint one commit behind for ever (the
 * WAL restarts only once wholly copied back, so it would grow while commits keep
 * coming), so the store checkpoints itself, after a flush with the reader let go (see
 * {@link CHECKPOINT_AFTER}). SQLite would flush the WAL before a checkpoint and the
 * database after it, with the event loop standing still for both (40 ms and more a
 * checkpoint under load). The WAL is on disk already (every commit was flushed before
 * it was answered), so the checkpoint runs without SQLite's flushes and the database is
 * flushed after it on the thread pool. The caller's queue waits for that flush, so no
 * transaction writes over the WAL before what it held is on disk in the database (until
 * then, a crash leaves the WAL whole, and SQLite copies it back again).
 *
 * Each COMMIT is counted as started before it is made and as flushed after its flush
 * (`commit-marks.ts`): the read workers' connections fix their snapshots by those counts.
 */
import type Database from 'better-sqlite3';
import type { CommitMarks } from './commit-marks.ts';
import type { WalSync } from './wal-sync.ts';

/**
 * A checkpoint (copying the WAL back into the database) after this many records written
 * or commits made since the last, whichever comes first: about SQLite's own automatic
 * checkpoint of 1,000 pages for records of a few hundred bytes.
 */
export const CHECKPOINT_AFTER = { records: 10_000, commits: 200 } as const;

/** The commits of one writer, with its reader's snapshots and its checkpoints. */
export interface FlushedCommits {
  /** COMMIT on the writer and its flush, a checkpoint after them when one is due; the caller's queue waits for all of it. */
  commit(): Promise<void>;
  /** Counts `records` written in the open transaction, towards the next checkpoint. */
  wrote(records: number): void;
}

/** The read workers, as the commits see them. */
export interface CommitReaders {
  /** Where the commits are counted for them (see `commit-marks.ts`). */
  readonly marks: CommitMarks;
  /** Settles once no worker holds a snapshot (they take none while `marks` says a checkpoint runs). */
  letGo(): Promise<void>;
}

/**
 * The commits of `writer` flushed by `wal` (which made the writer give up its automatic
 * checkpoints), `reader` serving reads meanwhile, and counted for the read workers
 * `readers`; or, without `wal` (SQLite flushes inside COMMIT), plain COMMITs.
 */
export function flushedCommits(writer: Database.Database, reader: Database.Database, wal: WalSync | undefined, readers: CommitReaders): FlushedCommits {
  const { marks } = readers;
  const since = { records: 0, commits: 0 };
  // Any read fixes the snapshot of a read transaction.
  const snapshot = reader.prepare('SELECT 1 FROM sqlite_master LIMIT 1').pluck();

  async function checkpointWhenDue(flushes: WalSync): Promise<void> {
    if (since.records < CHECKPOINT_AFTER.records && since.commits < CHECKPOINT_AFTER.commits) return;
    since.records = 0;
    since.commits = 0;
    // No worker's snapshot in the WAL, so that the checkpoint copies it back whole and the
    // next commit starts it over (see `commit-marks.ts`); a worker's next snapshot then
    // reads the database file.
    marks.checkpointing(true);
    try {
      await readers.letGo();
      writer.pragma('synchronous = OFF');
      try {
        writer.pragma('wal_checkpoint(PASSIVE)');
      } finally {
        writer.pragma('synchronous = NORMAL');
      }
    } finally {
      marks.checkpointing(false);
    }
    await flushed(flushes.flushDatabase());
  }

  /** COMMIT on the writer, counted as started first (see `commit-marks.ts`). */
  function commitOnWriter(): void {
    marks.starting();
    try {
      writer.exec('COMMIT');
    } catch (error) {
      // A COMMIT that fails made nothing a snapshot could hold: no worker waits for it.
      marks.flushed();
      throw error;
    }
  }

  /** `flush`, after which the store answers nothing more if it failed (the workers told too). */
  async function flushed(flush: Promise<void>): Promise<void> {
    try {
      await flush;
    } catch (error) {
      marks.end('broken');
      throw error;
    }
  }

  return {
    async commit() {
      if (wal === undefined) {
        commitOnWriter();
        marks.flushed();
        return;
      }
      reader.exec('BEGIN');
      try {
        snapshot.get();
        commitOnWriter();
        await flushed(wal.flush());
        marks.flushed();
      } finally {
        reader.exec('COMMIT');
      }
      since.commits++;
      await checkpointWhenDue(wal);
    },
    wrote(records) {
      since.records += records;
    },
  };
}
