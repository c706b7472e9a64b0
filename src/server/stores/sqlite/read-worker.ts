/**
 * A read worker of the SQLite store (started by `read-pool.ts` in a worker thread): it
 * serves pull pages on a read connection of its own, from reading the rows to writing
 * the answer's JSON, so none of that runs in the server's thread, where pushes wait
 * for it.
 *
 * Its snapshots hold flushed commits only (see `commit-marks.ts`). The worker keeps a
 * snapshot while its pool has more pages for it, and serves from it as long as no flush
 * has ended since: that is the snapshot before a commit being flushed, as the store's
 * own reader serves (`flushed-commit.ts`). Otherwise it takes a fresh one, and if a
 * commit was in flight when it did, waits for that commit's flush before reading (its
 * thread waits, not the server's). It lets go of its snapshot once the pool has nothing
 * more for it, so the store's checkpoints can restart the WAL.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ErrorCode, SyncError } from '../../../protocol/errors.ts';
import type { PullResponse } from '../../../protocol/types.ts';
import { servePage, type PageReads } from '../../serve-pull.ts';
import { pullAnswerJson } from '../../stored-json.ts';
import { commitMarks } from './commit-marks.ts';
import { feedReads } from './feed-reads.ts';
import type { PageReply, PageRequest, ReadWorkerData, WorkerReply } from './read-pool.ts';
import { openDatabase } from './sqlite-database.ts';

if (parentPort === null) throw new Error('read-worker.ts runs in a worker thread (read-pool.ts starts it)');
const port = parentPort;
const { path, marks: buffer } = workerData as ReadWorkerData;
const db = openDatabase(path);
const marks = commitMarks(buffer);
const reads = feedReads(db);
// Any read fixes the snapshot of a read transaction.
const fix = db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').pluck();
const pageReads: PageReads = { readChanges: async (query) => reads.page(query), latestVersionIn: async (collectives) => reads.latestIn(collectives) };
/** The flushed count the open snapshot holds exactly (undefined: none open, or one to use once). */
let pinnedAt: number | undefined;

/** Opens a snapshot of flushed commits, or keeps the open one while it is the freshest such (see the file comment). */
function pin(): void {
  const flushed = marks.flushedCount();
  if (pinnedAt === flushed && !marks.isCheckpointing()) return;
  release();
  if (marks.isCheckpointing()) {
    // The pool hears that this worker holds no snapshot, and the checkpoint can run.
    port.postMessage({ pinned: false } satisfies WorkerReply);
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
}

function release(): void {
  if (db.inTransaction) db.exec('COMMIT');
  pinnedAt = undefined;
}

/** The reply to one page; never rejects. */
async function serve({ request, scope, limits, keep }: PageRequest): Promise<PageReply> {
  let reply: PageReply;
  try {
    pin();
    const answer = await servePage(pageReads, request, scope, limits);
    // The fields besides the changes, in their order, to rebuild the answer in the server's thread.
    const envelope: Record<string, unknown> = { ...answer };
    delete envelope['changes'];
    reply = { text: pullAnswerJson(answer), envelope: envelope as Omit<PullResponse, 'changes'> };
  } catch (error) {
    reply = { error: SyncError.from(error).toJSON() };
  }
  try {
    if (!keep || pinnedAt === undefined || marks.isCheckpointing()) release();
  } catch (error) {
    reply = { error: SyncError.from(error).toJSON() };
  }
  return reply;
}

// The pool sends a worker one page at a time, or asks it to let go of its snapshot.
port.on('message', (message: PageRequest | 'let go') => {
  if (message !== 'let go') return void serve(message).then((page) => port.postMessage({ pinned: db.inTransaction, page } satisfies WorkerReply));
  try {
    release();
  } finally {
    // Said either way: a checkpoint does not wait for ever on a snapshot that would not end.
    port.postMessage({ pinned: false } satisfies WorkerReply);
  }
});
