/**
 * The SQLite store's read workers: worker threads that serve pull pages (`read-worker.ts`)
 * so that reading a page, and writing its JSON, keep off the server's event loop, where
 * under load they were most of its CPU and every push waited behind them. (Compressing
 * the answer already runs on libuv's thread pool: `http/json-answer.ts`.)
 *
 * A bounded pool: `workers` threads (started at the first page), each given one page at
 * a time, and at most `maxQueued` pages waiting for one; past that a pull is refused
 * `RATE_LIMITED`, as a server over its connection cap refuses, and the client retries.
 * A page waiting in the queue holds its request only, and a worker builds one page at a
 * time, bounded by the server's `maxPullBytes`.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ErrorCode, SyncError, type SyncErrorData } from '../../../protocol/errors.ts';
import type { PullRequest, PullResponse } from '../../../protocol/types.ts';
import { answerOfText } from '../../pull-answer-text.ts';
import type { PullLimits, PullScope } from '../../serve-pull.ts';
import { StoredPut } from '../../stored-json.ts';
import type { CommitMarks } from './commit-marks.ts';

/** What a read worker is started with. */
export interface ReadWorkerData {
  readonly path: string;
  /** The writer's {@link CommitMarks}. */
  readonly marks: SharedArrayBuffer;
}

/** One page for a worker; `keep`: more wait for it, so it keeps its snapshot (see `read-worker.ts`). */
export interface PageRequest {
  readonly request: PullRequest;
  readonly scope: PullScope;
  readonly limits: PullLimits;
  readonly keep: boolean;
}

/** A worker's answer: the page's JSON and its fields besides the changes, or the error it failed with. */
export type PageReply = { readonly text: string; readonly envelope: Omit<PullResponse, 'changes'> } | { readonly error: SyncErrorData };

/** What a worker posts: whether it holds a snapshot now, with the page it served (none: it let go of its snapshot). */
export interface WorkerReply {
  readonly pinned: boolean;
  readonly page?: PageReply;
}

/** How many read workers, and how many pages may wait for them. */
export interface ReadPoolOptions {
  /** Worker threads. Default {@link defaultReadWorkers}. */
  readonly workers?: number;
  /** Pages waiting for a worker beyond which a pull is refused `RATE_LIMITED`. Default 1,000. */
  readonly maxQueued?: number;
}

/** One worker per core beyond the server's own, at least one, at most four. */
export function defaultReadWorkers(): number {
  return Math.min(4, Math.max(1, availableParallelism() - 1));
}

/** The pool of read workers of one store. */
export interface ReadPool {
  /** The page for `request` in `scope`, served by a worker. */
  serve(request: PullRequest, scope: PullScope, limits: PullLimits): Promise<PullResponse>;
  /**
   * False once a worker failed before it served anything (it could not start: a driver
   * that does not load in a worker thread, a file it cannot open): the store then serves
   * pages in its own thread, as without workers, rather than fail every pull.
   */
  readonly available: boolean;
  /** Settles once no worker holds a snapshot; call it with the marks saying a checkpoint runs (see `commit-marks.ts`). */
  letGo(): Promise<void>;
  /** Refuses waiting pages `SHUTDOWN` and ends the workers. */
  close(): Promise<void>;
}

interface Job {
  readonly message: Omit<PageRequest, 'keep'>;
  resolve(answer: PullResponse): void;
  reject(error: unknown): void;
}

interface Slot {
  readonly worker: Worker;
  job?: Job | undefined;
  /** May hold a snapshot: serving a page, or kept after one. */
  pinned: boolean;
  /** Asked to let go of it. */
  asked: boolean;
  /** Has posted anything: it started. */
  started: boolean;
}

/**
 * The changes of an answer's JSON `text`, as the server's thread would have served them:
 * a put without field stamps or a mark (`over`) keeps its value as text (see `stored-json.ts`).
 */
function changesOf(text: string): PullResponse['changes'] {
  return (JSON.parse(text) as PullResponse).changes.map((change) =>
    change.op === 'put' && !('fields' in change) && !('over' in change) ? new StoredPut(change.collective, change.id, change.hlc, change.source, change.version, JSON.stringify(change.value)) : change,
  );
}

const shutdown = () => new SyncError(ErrorCode.SHUTDOWN, 'The SQLite server store is closed');

/**
 * The worker's script beside this module: the built JavaScript; or, running from the
 * TypeScript source (tests, the bench), a bootstrap that loads it through tsx.
 */
function startWorker(workerData: ReadWorkerData): Worker {
  // None of the process's flags: a worker needs none, and some would break it (a loader
  // given with --import runs again in every worker).
  const options = { workerData, execArgv: [] };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./read-worker.js', import.meta.url), options);
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
  const script = new URL('./read-worker.ts', import.meta.url).href;
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(script)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), options);
}

/** The read workers of the store at `path`, whose writer counts its commits in `marks`. */
export function readPool(path: string, marks: CommitMarks, options: ReadPoolOptions = {}): ReadPool {
  const size = options.workers ?? defaultReadWorkers();
  const maxQueued = options.maxQueued ?? 1000;
  const slots: Slot[] = [];
  const queue: Job[] = [];
  let closed = false;
  let available = true;
  const lettingGo: (() => void)[] = [];

  /** Settles {@link ReadPool.letGo} once no worker holds a snapshot; asks the idle ones that do to let go. */
  function letGoWhenDue(): void {
    if (lettingGo.length === 0) return;
    for (const slot of slots) {
      if (!slot.pinned || slot.job !== undefined || slot.asked) continue;
      slot.asked = true;
      slot.worker.postMessage('let go');
    }
    if (slots.some((slot) => slot.pinned)) return;
    for (const settle of lettingGo.splice(0)) settle();
  }

  function start(): Slot {
    const slot: Slot = { worker: startWorker({ path, marks: marks.buffer }), pinned: false, asked: false, started: false };
    const lost = (error: unknown) => {
      // A worker that failed is replaced at the next page; its page fails alone.
      const at = slots.indexOf(slot);
      if (at >= 0) slots.splice(at, 1);
      const failure = closed ? shutdown() : new SyncError(ErrorCode.INTERNAL, `A read worker of the SQLite store stopped: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      slot.job?.reject(failure);
      slot.job = undefined;
      if (!slot.started && !closed && available) {
        available = false;
        console.error('pulsesync: the SQLite store could not start a read worker; it serves pull pages in the server thread from now on:', error);
        for (const job of queue.splice(0)) job.reject(failure);
      }
      letGoWhenDue();
      if (!closed) dispatch();
    };
    slot.worker.on('message', ({ pinned, page }: WorkerReply) => {
      slot.started = true;
      slot.pinned = pinned;
      if (page === undefined) {
        // It let go of its snapshot, asked to or waiting for a checkpoint to end.
        slot.asked = false;
        slot.pinned = false;
        return letGoWhenDue();
      }
      const job = slot.job;
      slot.job = undefined;
      if ('error' in page) job?.reject(SyncError.from(page.error));
      else job?.resolve(answerOfText(page.envelope, page.text, changesOf));
      dispatch();
      letGoWhenDue();
    });
    slot.worker.on('error', lost);
    slot.worker.on('exit', (code) => lost(`exit code ${code}`));
    slots.push(slot);
    return slot;
  }

  function dispatch(): void {
    while (queue.length > 0 && available) {
      const slot = slots.find((candidate) => candidate.job === undefined) ?? (slots.length < size ? start() : undefined);
      if (slot === undefined) return;
      const job = queue.shift() as Job;
      slot.job = job;
      slot.pinned = true;
      slot.worker.ref();
      slot.worker.postMessage({ ...job.message, keep: queue.length > 0 } satisfies PageRequest);
    }
    // An idle worker does not keep the process alive.
    for (const slot of slots) if (slot.job === undefined) slot.worker.unref();
  }

  return {
    get available() {
      return available;
    },
    serve(request, scope, limits) {
      if (closed) return Promise.reject(shutdown());
      if (queue.length >= maxQueued) {
        return Promise.reject(
          new SyncError(ErrorCode.RATE_LIMITED, `The server has ${maxQueued} pulls waiting to be read; try again shortly`, { details: { maxQueued, retryAfterMs: 1000 } }),
        );
      }
      return new Promise<PullResponse>((resolve, reject) => {
        queue.push({ message: { request, scope, limits }, resolve, reject });
        dispatch();
      });
    },
    letGo() {
      return new Promise<void>((resolve) => {
        lettingGo.push(resolve);
        letGoWhenDue();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(shutdown());
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
      for (const settle of lettingGo.splice(0)) settle();
    },
  };
}
