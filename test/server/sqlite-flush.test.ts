/**
 * The SQLite store flushes each commit to disk before it answers (src/server/stores/
 * sqlite/wal-sync.ts). When a flush fails, nothing that stands on it is acknowledged:
 * not the pushes of the group whose commit it was, not a push after it, and no read is
 * served, until the server is restarted.
 *
 * The failure is a real one: the WAL file is unlinked under the store (SQLite keeps
 * writing to its own open handle), so the store's flush cannot open it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import { SyncError } from '../../src/protocol/errors.ts';
import type { SyncChange } from '../../src/protocol/types.ts';
import { sqliteServerStore } from '../../src/server/stores/sqlite/sqlite-server-store.ts';
import { createSyncServer, type SyncServer } from '../../src/server/sync-server.ts';
import { readAll } from '../../src/testing/server-store-fixture.ts';

let dir: string | undefined;
let server: SyncServer | undefined;
afterEach(async () => {
  await server?.close().catch(() => undefined);
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

function push(source: string, id: string) {
  const change: SyncChange = { seq: 1, source, collective: 'notes', id, op: 'put', value: { id }, hlc: formatHlc({ wallMs: Date.now(), counter: 0, node: source }), baseVersion: null };
  return { instanceId: source, policy: 'last-write-wins' as const, changes: [change] };
}

const failure = (error: unknown) => (error instanceof SyncError ? error.code : String(error));

describe('SQLite store: the flush of a commit', () => {
  it('answers a push once its commit is flushed, and what it wrote is read back', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulsesync-flush-'));
    const store = sqliteServerStore(join(dir, 'ok.db'));
    server = createSyncServer({ store });
    const answers = await Promise.all(['a', 'b', 'c'].map((id) => server!.handlePush(push(randomUUID(), id))));
    expect(answers.map((answer) => answer.ackedSeq)).toEqual([1, 1, 1]);
    expect((await readAll(store)).map((row) => row.id).sort()).toEqual(['a', 'b', 'c']);
  });

  it('that fails acknowledges no push of its group nor after it, and serves no read', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulsesync-flush-'));
    const path = join(dir, 'broken.db');
    const store = sqliteServerStore(path);
    server = createSyncServer({ store });
    unlinkSync(`${path}-wal`);
    // Sent in one turn: applied as one group, whose commit's flush fails.
    const group = await Promise.all(['a', 'b', 'c'].map((id) => server!.handlePush(push(randomUUID(), id)).then(() => 'acknowledged', failure)));
    expect(group).toEqual(['INTERNAL', 'INTERNAL', 'INTERNAL']);
    await expect(server.handlePush(push(randomUUID(), 'd'))).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/restart the server/) });
    await expect(store.readChanges({ after: 0, limit: 10 })).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(store.latestVersion()).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
