/**
 * The SQLite store's flush off the event loop (src/server/stores/sqlite/wal-sync.ts): a
 * failed flush fails every later flush, and the store's reads with it (see
 * sqlite-flush.test.ts for what the store does around each flush).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { walSync } from '../../src/server/stores/sqlite/wal-sync.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('flushes of a WAL file', () => {
  it('that fails breaks every later flush, saying to restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulsesync-wal-'));
    const wal = walSync(join(dir, 'missing-wal'), join(dir, 'missing'));
    await expect(wal.flush()).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/restart the server/) });
    expect(() => wal.assertHealthy()).toThrow(/restart the server/);
    await expect(wal.flush()).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(wal.flushDatabase()).rejects.toMatchObject({ code: 'INTERNAL' });
    await wal.close();
  });
});
