/**
 * The SQLite store's disk flush, off the event loop. With `synchronous = FULL` in WAL
 * mode SQLite flushes the write-ahead log inside every COMMIT (`fdatasync`), and
 * better-sqlite3 is synchronous, so the event loop stood still for the flush: ~16 ms a
 * commit on this machine under load, the largest single cost of the server with 50
 * clients pushing and pulling.
 *
 * So the writer runs `synchronous = NORMAL`, under which a WAL commit makes no flush of
 * its own (it is durable across a crash of the process, kill -9 included, since its
 * frames are in the WAL file, i.e. the OS, when COMMIT returns; only a power loss or a
 * crash of the OS could lose it), and this module makes up the one flush FULL would have
 * made: right after COMMIT, `fdatasync` of the WAL file on libuv's thread pool, and no
 * push is answered, no poke sent and no read served until it has finished. That is the
 * same guarantee as FULL: the commit's frames are on disk before anyone hears of them.
 * (Under NORMAL, SQLite still flushes the WAL before every checkpoint and the database
 * after it, so frames that a checkpoint moves into the database file are on disk there
 * before the WAL is reused.)
 *
 * A failed flush cannot be retried safely (after a failed write-back Linux may mark the
 * pages clean, so a second `fdatasync` succeeds without them), so it breaks the store:
 * every later transaction and read fails INTERNAL until the server is restarted, when
 * SQLite recovers what is on disk. No push is acknowledged on top of an unflushed one.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, SyncError } from '../../../protocol/errors.ts';

/** The flushes of one database's WAL file. */
export interface WalSync {
  /** Flushes the WAL file to disk (everything committed so far); rejects, and breaks the store, if it cannot. */
  flush(): Promise<void>;
  /** A flush is in flight: what a read would see now may not be on disk yet. */
  readonly busy: boolean;
  /** Resolves (never rejects) once the flush in flight, if any, has ended. */
  settled(): Promise<void>;
  /** Throws once a flush has failed. */
  assertHealthy(): void;
  /** Closes the file handle (after SQLite's connections have closed). */
  close(): Promise<void>;
}

/**
 * Runs `read` once no flush is in flight (and none has failed), in the same turn as
 * that check, so that a commit made meanwhile cannot slip in before it.
 */
export async function whenFlushed<T>(wal: WalSync | undefined, read: () => T): Promise<T> {
  if (wal === undefined) return read();
  while (wal.busy) await wal.settled();
  wal.assertHealthy();
  return read();
}

/** The flushes of the WAL file at `walPath` (`<database>-wal`, which must exist). */
export function walSync(walPath: string): WalSync {
  let handle: Promise<FileHandle> | undefined;
  /** How many flushes are in flight. */
  let running = 0;
  let inFlight: Promise<void> = Promise.resolve();
  let failure: SyncError | undefined;
  /** The WAL file, opened on the first flush; and its directory flushed once, since FULL would flush the directory of a new WAL file. */
  const file = (): Promise<FileHandle> =>
    (handle ??= (async () => {
      const directory = await open(dirname(walPath), 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
      return open(walPath, 'r+');
    })());
  const broken = (error: unknown): SyncError =>
    new SyncError(
      ErrorCode.INTERNAL,
      `The SQLite store could not flush its write-ahead log ${walPath} to disk, so its latest commits may not be durable; it answers nothing more: restart the server (SQLite then recovers what is on disk)`,
      { cause: error },
    );
  const run = async (): Promise<void> => {
    try {
      await (await file()).datasync();
    } catch (error) {
      failure ??= broken(error);
      throw failure;
    } finally {
      running--;
    }
  };
  return {
    flush() {
      if (failure !== undefined) return Promise.reject(failure);
      running++;
      const flushing = run();
      inFlight = flushing.catch(() => undefined);
      return flushing;
    },
    get busy() {
      return running > 0;
    },
    settled: () => inFlight,
    assertHealthy() {
      if (failure !== undefined) throw failure;
    },
    async close() {
      if (handle === undefined) return;
      await (await handle.catch(() => undefined))?.close();
    },
  };
}
