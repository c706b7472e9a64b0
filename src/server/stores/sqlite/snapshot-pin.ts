/**
 * The snapshot a read worker serves pages from (see `read-worker.ts`): of flushed
 * commits only, by the writer's counts (`commit-marks.ts`).
 *
 * `pin()` keeps the open snapshot while no flush has ended since it was fixed with no
 * commit in flight: it is then the freshest durable one, the snapshot before a commit
 * being flushed, which the store's own reader serves too (`flushed-commit.ts`).
 * Otherwise it fixes a fresh one, and if a commit was in flight by then, waits for that
 * commit's flush (the worker's thread waits, not the server's). While the writer
 * checkpoints it holds none and takes none.
 */
import type Database from 'better-sqlite3';
import { ErrorCode, SyncError } from '../../../protocol/errors.ts';
import type { CommitMarks } from './commit-marks.ts';

/** The read transaction of one worker's connection. */
export interface SnapshotPin {
  /** Makes the connection's snapshot one of flushed commits (see the file comment); throws once the store broke or closed. */
  pin(): void;
  /** Whether the open snapshot may serve the next page too (else {@link release} it after this one). */
  readonly kept: boolean;
  /** Ends the read transaction, if one is open. */
  release(): void;
}

/**
 * The snapshots of `db` (a read connection) by `marks`; `lettingGo` is called when a
 * checkpoint makes it wait without a snapshot.
 */
export function snapshotPin(db: Database.Database, marks: CommitMarks, lettingGo: () => void): SnapshotPin {
  // Any read fixes the snapshot of a read transaction.
  const fix = db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').pluck();
  /** The flushed count the open snapshot holds exactly (undefined: none open, or one to use once). */
  let pinnedAt: number | undefined;
  const release = (): void => {
    if (db.inTransaction) db.exec('COMMIT');
    pinnedAt = undefined;
  };
  return {
    pin() {
      const flushed = marks.flushedCount();
      if (pinnedAt === flushed && !marks.isCheckpointing()) return;
      release();
      if (marks.isCheckpointing()) {
        lettingGo();
        marks.awaitCheckpointed();
      }
      db.exec('BEGIN');
      fix.get();
      // Every commit in the snapshot was started by now.
      const started = marks.started();
      const wait = marks.awaitFlushed(started);
      if (wait === 'closed') throw new SyncError(ErrorCode.SHUTDOWN, 'The SQLite server store is closed');
      // The store's thread rethrows its own failure (wal-sync.ts), which says what to do.
      if (wait === 'broken') throw new SyncError(ErrorCode.INTERNAL, 'The SQLite store could not flush its commits to disk');
      // No commit in flight while it was fixed: exactly the commits flushed.
      pinnedAt = started === flushed ? flushed : undefined;
    },
    get kept() {
      return pinnedAt !== undefined && !marks.isCheckpointing();
    },
    release,
  };
}
