/**
 * The SQLite store's flush off the event loop (src/server/stores/sqlite/wal-sync.ts):
 * a read waits while a flush is in flight and runs in the turn it finds none, so it never
 * sees a commit that is not on disk yet; a failed flush fails every later flush and read.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { walSync, whenFlushed, type WalSync } from '../../src/server/stores/sqlite/wal-sync.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('flushes of a WAL file', () => {
  it('hold a read back while one is in flight, and run it once none is', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulsesync-wal-'));
    const path = join(dir, 'db-wal');
    writeFileSync(path, 'frames');
    const wal = walSync(path);
    const seen: string[] = [];
    const flushing = wal.flush();
    expect(wal.busy).toBe(true);
    const read = whenFlushed(wal, () => {
      seen.push(wal.busy ? 'read while flushing' : 'read after the flush');
      return 42;
    });
    await flushing;
    expect(await read).toBe(42);
    expect(seen).toEqual(['read after the flush']);
    expect(wal.busy).toBe(false);
    await wal.close();
  });

  it('waits for a flush that starts while the read waited for another', async () => {
    let flushes = 2;
    let release!: () => void;
    const fake: WalSync = {
      flush: async () => undefined,
      get busy() {
        return flushes > 0;
      },
      settled: () =>
        new Promise<void>((resolve) => {
          release = () => {
            flushes--;
            resolve();
          };
        }),
      assertHealthy: () => undefined,
      close: async () => undefined,
    };
    let ran = false;
    const read = whenFlushed(fake, () => (ran = true));
    await Promise.resolve();
    release(); // the first ends, a second is still in flight
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toBe(false);
    release();
    await read;
    expect(ran).toBe(true);
  });

  it('that fails breaks every later flush and read, saying to restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulsesync-wal-'));
    const wal = walSync(join(dir, 'missing-wal'));
    await expect(wal.flush()).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/restart the server/) });
    expect(() => wal.assertHealthy()).toThrow(/restart the server/);
    await expect(wal.flush()).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(whenFlushed(wal, () => 'read')).rejects.toMatchObject({ code: 'INTERNAL' });
    await wal.close();
  });
});
