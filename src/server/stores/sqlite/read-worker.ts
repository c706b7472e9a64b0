/**
 * A read worker of the SQLite store (started by `read-pool.ts` in a worker thread): it
 * serves pull pages on a read connection of its own, from reading the rows to writing
 * the answer's JSON, so none of that runs in the server's thread, where pushes wait
 * for it.
 *
 * Its snapshots hold flushed commits only (`snapshot-pin.ts`). It keeps one while its
 * pool has more pages for it, and lets go of it once the pool has nothing more for it or
 * the store checkpoints, so that the WAL is copied back and starts over.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SyncError } from '../../../protocol/errors.ts';
import type { PullResponse } from '../../../protocol/types.ts';
import { servePage, type PageReads } from '../../serve-pull.ts';
import { pullAnswerJson } from '../../stored-json.ts';
import { commitMarks } from './commit-marks.ts';
import { feedReads } from './feed-reads.ts';
import type { PageReply, PageRequest, ReadWorkerData, WorkerReply } from './read-pool.ts';
import { snapshotPin } from './snapshot-pin.ts';
import { openDatabase } from './sqlite-database.ts';

if (parentPort === null) throw new Error('read-worker.ts runs in a worker thread (read-pool.ts starts it)');
const port = parentPort;
const { path, marks: buffer } = workerData as ReadWorkerData;
// The store's file, never a new one where it was (moved or deleted under the server).
const db = openDatabase(path, { fileMustExist: true });
const marks = commitMarks(buffer);
const reads = feedReads(db);
const pageReads: PageReads = { readChanges: async (query) => reads.page(query), latestVersionIn: async (collectives) => reads.latestIn(collectives) };
// The pool hears that this worker holds no snapshot, and the checkpoint can run.
const snapshot = snapshotPin(db, marks, () => port.postMessage({ pinned: false } satisfies WorkerReply));

/** The reply to one page; never rejects. */
async function serve({ request, scope, limits, keep }: PageRequest): Promise<PageReply> {
  let reply: PageReply;
  try {
    snapshot.pin();
    const answer = await servePage(pageReads, request, scope, limits);
    // The fields besides the changes, in their order, to rebuild the answer in the server's thread.
    const envelope: Record<string, unknown> = { ...answer };
    delete envelope['changes'];
    reply = { text: pullAnswerJson(answer), envelope: envelope as Omit<PullResponse, 'changes'> };
  } catch (error) {
    reply = { error: SyncError.from(error).toJSON() };
  }
  try {
    if (!keep || !snapshot.kept) snapshot.release();
  } catch (error) {
    reply = { error: SyncError.from(error).toJSON() };
  }
  return reply;
}

// The pool sends a worker one page at a time, or asks it to let go of its snapshot.
port.on('message', (message: PageRequest | 'let go') => {
  if (message !== 'let go') return void serve(message).then((page) => port.postMessage({ pinned: db.inTransaction, page } satisfies WorkerReply));
  try {
    snapshot.release();
  } finally {
    // Said either way: a checkpoint does not wait for ever on a snapshot that would not end.
    port.postMessage({ pinned: false } satisfies WorkerReply);
  }
});
