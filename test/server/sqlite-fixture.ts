/**
 * What the SQLite store's tests share: a fresh directory and server per test, and holding
 * the store's flushes to disk (src/server/stores/sqlite/wal-sync.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, vi } from 'vitest';
import { createSyncServer, type SyncServer, type SyncServerOptions } from '../../src/server/sync-server.ts';

/**
 * Per test, files in a fresh directory (`prefix`…) and the server started on them; after
 * each test the mocks are restored, the server closed and the directory removed.
 */
export function sqliteFixture(prefix: string): { file(name: string): string; server(options: SyncServerOptions): SyncServer } {
  let dir: string | undefined;
  let server: SyncServer | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await server?.close().catch(() => undefined);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    server = undefined;
    dir = undefined;
  });
  return {
    file: (name) => join((dir ??= mkdtempSync(join(tmpdir(), prefix))), name),
    server: (options) => (server = createSyncServer(options)),
  };
}

/**
 * Holds the flushes (`FileHandle#datasync`, spied on its prototype, which a handle of
 * `probe` shows) that `which` picks until `release()`; `started` settles at the first.
 * Linux names each handle's file in /proc, which is how a caller picks one file.
 * `fail(error)` instead makes them, and every later one `which` picks, fail with `error`.
 */
export async function holdFlushes(probe: string, which: (handle: FileHandle) => boolean = () => true) {
  const handle = await open(probe, 'r');
  const prototype = Object.getPrototypeOf(handle) as FileHandle;
  await handle.close();
  const datasync = prototype.datasync;
  let flushStarted!: () => void;
  const started = new Promise<void>((resolve) => (flushStarted = resolve));
  let end!: (error?: Error) => void;
  const ended = new Promise<Error | undefined>((resolve) => (end = resolve));
  vi.spyOn(prototype, 'datasync').mockImplementation(async function (this: FileHandle) {
    if (which(this)) {
      flushStarted();
      const error = await ended;
      if (error !== undefined) throw error;
    }
    return datasync.call(this);
  });
  return { started, release: () => end(), fail: (error: Error) => end(error) };
}

