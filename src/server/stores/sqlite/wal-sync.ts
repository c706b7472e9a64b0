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
 * push is answered and no poke sent until it has finished, and no read sees the commit
 * before (reads are served meanwhile from the snapshot before it: see
 * `sqlite-server-store.ts`). That is the same guarantee as FULL: the commit's frames are
 * on disk before anyone hears of them.
 * Checkpoints are the store's own (see `sqlite-server-store.ts`): it runs them without
 * SQLite's flushes and then flushes the database file here, before the WAL is reused,
 * so frames that a checkpoint moves into the database file are on disk there first, as
 * under NORMAL.
 *
 * A failed flush cannot be retried safely (after a failed write-back Linux may mark the
 * pages clean, so a second `fdatasync` succeeds without them), so it breaks the store:
 * every later transaction and read fails INTERNAL until the server is restarted, when
 * SQLite recovers what is on disk. No push is acknowledged on top of an unflushed one.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, SyncError } from '../../../protocol/errors.ts';
import { walFlushTrace } from '../../server-trace.ts';

/** The flushes of one database's WAL file. */
export interface WalSync {
  /** Flushes the WAL file to disk (everything committed so far); rejects, and breaks the store, if it cannot. */
  flush(): Promise<void>;
  /**
   * Flushes the database file to disk, as SQLite does after a checkpoint (before the WAL
   * it copied back may be written over); rejects, and breaks the store, if it cannot.
   */
  flushDatabase(): Promise<void>;
  /** Throws once a flush has failed. */
  assertHealthy(): void;
  /** Closes the file handle (after SQLite's connections have closed). */
  close(): Promise<void>;
}

/** The flushes of the WAL file at `walPath` (`<database>-wal`, which must exist) and of the database file at `databasePath`. */
export function walSync(walPath: string, databasePath: string): WalSync {
  let handle: Promise<FileHandle> | undefined;
  let databaseHandle: Promise<FileHandle> | undefined;
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
      `The SQLite store could not flush its write-ahead log ${walPath} or its database to disk, so its latest commits may not be durable; it answers nothing more: restart the server (SQLite then recovers what is on disk)`,
      { cause: error },
    );
  const run = async (handle: () => Promise<FileHandle>): Promise<void> => {
    if (failure !== undefined) throw failure;
    const start = walFlushTrace.active ? performance.now() : 0;
    try {
      await (await handle()).datasync();
      if (walFlushTrace.active) walFlushTrace.publish({ ms: performance.now() - start });
    } catch (error) {
      failure ??= broken(error);
      throw failure;
    }
  };
  return {
    flush: () => run(file),
    flushDatabase: () => run(() => (databaseHandle ??= open(databasePath, 'r+'))),
    assertHealthy() {
      if (failure !== undefined) throw failure;
    },
    async close() {
      for (const opened of [handle, databaseHandle]) await (await opened?.catch(() => undefined))?.close();
    },
  };
}
