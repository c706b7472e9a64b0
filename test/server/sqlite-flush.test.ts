/**
 * The SQLite store flushes each commit to disk before it answers (src/server/stores/
 * sqlite/wal-sync.ts). When a flush fails, nothing that stands on it is acknowledged:
 * not the pushes of the group whose commit it was, not a push after it, and no read is
 * served, until the server is restarted.
 *
 * Reads do not wait for a flush: they are served from the snapshot before the commit
 * being flushed, and see the commit once it is flushed. The store checkpoints on its
 * own, so that snapshot does not keep the WAL growing.
 *
 * The failure is a real one: the WAL file is unlinked under the store (SQLite keeps
 * writing to its own open handle), so the store's flush cannot open it.
 */
import { randomUUID } from 'node:crypto';
import { readlinkSync, statSync, unlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import { SyncError } from '../../src/protocol/errors.ts';
import type { SyncChange } from '../../src/protocol/types.ts';
import { CHECKPOINT_AFTER } from '../../src/server/stores/sqlite/flushed-commit.ts';
import { sqliteServerStore } from '../../src/server/stores/sqlite/sqlite-server-store.ts';
import { readAll } from '../../src/testing/server-store-fixture.ts';
import { holdFlushes, sqliteFixture } from './sqlite-fixture.ts';

const fixture = sqliteFixture('pulsesync-flush-');

function push(source: string, id: string) {
  const change: SyncChange = { seq: 1, source, collective: 'notes', id, op: 'put', value: { id }, hlc: formatHlc({ wallMs: Date.now(), counter: 0, node: source }), baseVersion: null };
  return { instanceId: source, policy: 'last-write-wins' as const, changes: [change] };
}

const failure = (error: unknown) => (error instanceof SyncError ? error.code : String(error));

describe('SQLite store: the flush of a commit', () => {
  it('answers a push once its commit is flushed, and what it wrote is read back', async () => {
    const store = sqliteServerStore(fixture.file('ok.db'));
    const server = fixture.server({ store });
    const answers = await Promise.all(['a', 'b', 'c'].map((id) => server.handlePush(push(randomUUID(), id))));
    expect(answers.map((answer) => answer.ackedSeq)).toEqual([1, 1, 1]);
    expect((await readAll(store)).map((row) => row.id).sort()).toEqual(['a', 'b', 'c']);
  });

  it('that fails acknowledges no push of its group nor after it, and serves no read', async () => {
    const path = fixture.file('broken.db');
    const store = sqliteServerStore(path);
    const server = fixture.server({ store });
    unlinkSync(`${path}-wal`);
    // Sent in one turn: applied as one group, whose commit's flush fails.
    const group = await Promise.all(['a', 'b', 'c'].map((id) => server.handlePush(push(randomUUID(), id)).then(() => 'acknowledged', failure)));
    expect(group).toEqual(['INTERNAL', 'INTERNAL', 'INTERNAL']);
    await expect(server.handlePush(push(randomUUID(), 'd'))).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/restart the server/) });
    await expect(store.readChanges({ after: 0, limit: 10 })).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(store.latestVersion()).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('serves reads while a commit is flushed, from the snapshot before it, and the commit once it is flushed', async () => {
    const path = fixture.file('snapshot.db');
    const store = sqliteServerStore(path);
    const server = fixture.server({ store });
    await server.handlePush(push(randomUUID(), 'a'));
    // The store's flushes (of the WAL: the only file flushed here), held until released.
    const { started, release } = await holdFlushes(`${path}-wal`);
    let answered = false;
    const second = server.handlePush(push(randomUUID(), 'b')).then((answer) => ((answered = true), answer));
    await started;
    // The commit of b is made and being flushed: reads answer at once, without it.
    expect((await readAll(store)).map((row) => row.id)).toEqual(['a']);
    expect(await store.latestVersion()).toBe(1);
    expect(answered).toBe(false);
    release();
    expect((await second).ackedSeq).toBe(1);
    expect((await readAll(store)).map((row) => row.id)).toEqual(['a', 'b']);
    expect(await store.latestVersion()).toBe(2);
  });

  it('checkpoints on its own, so that the WAL stops growing while commits keep coming', async () => {
    const path = fixture.file('checkpoints.db');
    const server = fixture.server({ store: sqliteServerStore(path) });
    const source = randomUUID();
    let seq = 0;
    const commits = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const request = push(source, `r${seq}`);
        await server.handlePush({ ...request, changes: request.changes.map((change) => ({ ...change, seq: ++seq })) });
      }
    };
    // Each push is one commit; every CHECKPOINT_AFTER.commits the WAL is copied back and
    // starts over at its head. Without that, three times the commits make a WAL three times as long.
    await commits(CHECKPOINT_AFTER.commits + 10);
    const size = statSync(`${path}-wal`).size;
    await commits(2 * CHECKPOINT_AFTER.commits);
    expect(statSync(`${path}-wal`).size).toBeLessThan(1.5 * size);
  });

  it('flushes the database after a checkpoint, and writes nothing over the WAL before that flush has ended', async () => {
    const path = fixture.file('database-flush.db');
    const server = fixture.server({ store: sqliteServerStore(path) });
    const source = randomUUID();
    let seq = 0;
    const next = () => {
      const request = push(source, `r${++seq}`);
      return server.handlePush({ ...request, changes: request.changes.map((change) => ({ ...change, seq })) });
    };
    for (let i = 1; i < CHECKPOINT_AFTER.commits; i++) await next();
    // The database file's flushes held until released; the WAL's go on.
    const { started, release } = await holdFlushes(path, (handle) => readlinkSync(`/proc/self/fd/${handle.fd}`) === path);
    const answered: string[] = [];
    const due = next().then(() => answered.push('checkpointing push'));
    await started;
    const after = next().then(() => answered.push('push after it'));
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toEqual([]);
    release();
    await Promise.all([due, after]);
    expect(answered).toEqual(['checkpointing push', 'push after it']);
    expect((await readAll(server.store)).length).toBe(seq);
  });
});
