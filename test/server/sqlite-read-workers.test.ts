/**
 * The SQLite store serves pull pages in read workers (src/server/stores/sqlite/
 * read-pool.ts): worker threads with a read connection each, which write the page's JSON
 * there. Their answers are those the server's thread gives, byte for byte; they never
 * show a commit before its flush has ended; they are bounded; and they let go of their
 * snapshots for the store's checkpoints, so the WAL stops growing while pulls keep coming.
 */
import { randomUUID } from 'node:crypto';
import { statSync, unlinkSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import type { PullRequest, PushRequest, SyncChange } from '../../src/protocol/types.ts';
import { collectiveAccess, type Access } from '../../src/server/access.ts';
import { answerText } from '../../src/server/pull-answer-text.ts';
import { pullScope, servePage } from '../../src/server/serve-pull.ts';
import { CHECKPOINT_AFTER } from '../../src/server/stores/sqlite/flushed-commit.ts';
import { sqliteServerStore } from '../../src/server/stores/sqlite/sqlite-server-store.ts';
import { pullAnswerJson } from '../../src/server/stored-json.ts';
import { readAll } from '../../src/testing/server-store-fixture.ts';
import { holdFlushes, sqliteFixture } from './sqlite-fixture.ts';

const fixture = sqliteFixture('pulsesync-read-workers-');


/** A push of one change per id, from `source`, seqs from `seq`. */
function push(source: string, collective: string, ids: readonly string[], seq = 1): PushRequest {
  const changes: SyncChange[] = ids.map((id, i) => ({
    seq: seq + i,
    source,
    collective,
    id,
    op: i % 5 === 4 ? 'delete' : 'put',
    ...(i % 5 === 4 ? {} : { value: { id, text: `note ${id} "quoted" é` } }),
    hlc: formatHlc({ wallMs: 1_700_000_000_000 + seq + i, counter: 0, node: source }),
    baseVersion: null,
  }) as SyncChange);
  return { instanceId: source, policy: 'last-write-wins', changes };
}

const failure = (error: unknown) => (error as { code?: string }).code ?? String(error);

describe('SQLite read workers', () => {
  it('answer each pull as the server thread would, byte for byte, the JSON written in the worker', async () => {
    const server = fixture.server({ store: sqliteServerStore(fixture.file('same.db')), limits: { maxPullBytes: 4096 } });
    const writer = randomUUID();
    await server.handlePush(push(writer, 'shared', Array.from({ length: 40 }, (_, i) => `s${i}`)));
    await server.handlePush(push(writer, 'private:alice', ['a1', 'a2', 'a3'], 41));
    await server.handlePush(push(writer, 'private:bob', ['b1', 'b2'], 44));
    const alice = collectiveAccess('alice', { read: ['shared', 'private:alice'], write: [] });
    const pulls: [PullRequest, Access | undefined][] = [
      [{ instanceId: randomUUID(), cursor: 0, batchSize: 500, withTotal: true }, undefined],
      [{ instanceId: randomUUID(), cursor: 0, batchSize: 7 }, undefined],
      [{ instanceId: writer, cursor: 10, batchSize: 500 }, undefined],
      [{ instanceId: randomUUID(), cursor: 3, batchSize: 500, collectives: ['private:bob', 'shared'] }, undefined],
      [{ instanceId: randomUUID(), cursor: 0, batchSize: 500, withTotal: true }, alice],
      [{ instanceId: randomUUID(), cursor: 40, batchSize: 500, snapshotMark: 44, collectives: ['private:alice', 'private:bob'] }, alice],
    ];
    for (const [request, access] of pulls) {
      const answer = await server.handlePull(request, access);
      // Written in a worker: the answer carries its text.
      expect(answerText(answer)).toBeDefined();
      const here = await servePage(server.store, request, await pullScope(server.store, request, access), server.limits);
      expect(pullAnswerJson(answer)).toBe(pullAnswerJson(here));
      expect(answer).toEqual(here);
    }
    await expect(server.handlePull({ instanceId: randomUUID(), cursor: 1000, batchSize: 10 })).rejects.toMatchObject({ code: 'CURSOR_AHEAD', details: { cursor: 1000, latest: 45 } });
  });

  it('show no commit before its flush has ended: a pull that comes meanwhile waits for it (the worker does, not the server)', async () => {
    const path = fixture.file('flush.db');
    const store = sqliteServerStore(path);
    const server = fixture.server({ store });
    await server.handlePush(push(randomUUID(), 'notes', ['a']));
    await server.handlePull({ instanceId: randomUUID(), cursor: 0, batchSize: 10 }); // the worker is up
    const { started, release } = await holdFlushes(`${path}-wal`);
    const second = server.handlePush(push(randomUUID(), 'notes', ['b']));
    await started;
    let pulled: string[] | undefined;
    const pull = server.handlePull({ instanceId: randomUUID(), cursor: 0, batchSize: 10 }).then((answer) => (pulled = answer.changes.map((change) => change.id)));
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    // The server's thread goes on meanwhile: its own reader answers from before the commit.
    expect((await readAll(store)).map((row) => row.id)).toEqual(['a']);
    expect(pulled).toBeUndefined();
    release();
    await Promise.all([second, pull]);
    expect(pulled).toEqual(['a', 'b']);
  });

  it('refuse a pull RATE_LIMITED past their queue, and serve the rest', async () => {
    const server = fixture.server({ store: sqliteServerStore(fixture.file('queue.db'), { readWorkers: { workers: 1, maxQueued: 1 } }) });
    await server.handlePush(push(randomUUID(), 'notes', ['a', 'b']));
    // Sent in one turn: one page in the worker, one waiting, the third over the bound.
    const answers = await Promise.all([0, 1, 2].map(() => server.handlePull({ instanceId: randomUUID(), cursor: 0, batchSize: 10 }).then((answer) => answer.changes.length, failure)));
    expect(answers).toEqual([2, 2, 'RATE_LIMITED']);
    await expect(server.handlePull({ instanceId: randomUUID(), cursor: 0, batchSize: 10 })).resolves.toMatchObject({ hasMore: false });
  });

  it('serve nothing once a flush failed, as every read', async () => {
    const path = fixture.file('broken.db');
    const server = fixture.server({ store: sqliteServerStore(path) });
    await server.handlePull({ instanceId: randomUUID(), cursor: 0, batchSize: 10 });
    const { started, fail } = await holdFlushes(`${path}-wal`);
    const broken = server.handlePush(push(randomUUID(), 'notes', ['a'])).then(() => 'acknowledged', failure);
    await started;
    // Waits in the worker for the flush, which fails.
    const pull = server.handlePull({ instanceId: randomUUID(), cursor: 0, batchSize: 10 }).then(() => 'served', (error: Error) => `${failure(error)}: ${error.message}`);
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    fail(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    expect(await broken).toBe('INTERNAL');
    expect(await pull).toMatch(/^INTERNAL: .*restart the server/);
  });

  it('that cannot start leave the pages to the server thread, the first one included', async () => {
    const path = fixture.file('moved.db');
    const server = fixture.server({ store: sqliteServerStore(path) });
    await server.handlePush(push(randomUUID(), 'notes', ['a', 'b']));
    // The store's connections keep the file open; a worker would find no file there.
    unlinkSync(path);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    for (const _ of [1, 2]) {
      const answer = await server.handlePull({ instanceId: randomUUID(), cursor: 0, batchSize: 10 });
      expect(answer.changes.map((change) => change.id)).toEqual(['a', 'b']);
      expect(answerText(answer)).toBeUndefined();
    }
    expect(logged).toHaveBeenCalledOnce();
  });

  it('let go of their snapshots for the checkpoints, so the WAL stops growing while pulls keep coming', async () => {
    const path = fixture.file('checkpoints.db');
    const server = fixture.server({ store: sqliteServerStore(path) });
    const source = randomUUID();
    let seq = 0;
    let pushing = true;
    // Four pullers back to back: the worker always has another page waiting, so it keeps its snapshot between pages.
    const pullers = Array.from({ length: 4 }, async () => {
      while (pushing) await server.handlePull({ instanceId: randomUUID(), cursor: Math.max(0, seq - 5), batchSize: 5 });
    });
    const commits = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        seq++;
        await server.handlePush(push(source, 'notes', [`r${seq}`, `q${seq}`], 2 * seq - 1));
      }
    };
    await commits(CHECKPOINT_AFTER.commits + 10);
    const size = statSync(`${path}-wal`).size;
    await commits(2 * CHECKPOINT_AFTER.commits);
    pushing = false;
    await Promise.all(pullers);
    expect(statSync(`${path}-wal`).size).toBeLessThan(1.5 * size);
  });
});
