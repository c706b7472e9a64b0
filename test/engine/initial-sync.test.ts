import { describe, expect, it } from 'vitest';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import type { PullRequest, SyncProgress } from '../../src/protocol/types.ts';
import { connect, memoryTransport, newReplica, newServer, scriptedTransport, settle, until, type TestServer } from './fixtures.ts';

const id = (i: number) => `n${String(i).padStart(4, '0')}`;

async function serverWith(count: number): Promise<TestServer> {
  const { server } = newServer();
  const writer = await newReplica();
  await writer.replica.putMany(Array.from({ length: count }, (_, i) => ({ collective: 'notes', id: id(i), value: { i } })));
  await connect(writer.replica, memoryTransport(server)).syncOnce();
  return server;
}

describe('initialSync', () => {
  it('pulls 1,050 records in batches of 500, with the total known from the first batch', async () => {
    const server = await serverWith(1050);
    const reader = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    const manager = connect(reader.replica, scripted.transport, { batchSize: 500 });
    const reported: SyncProgress[] = [];
    const events: SyncProgress[] = [];
    manager.on('progress', (p) => events.push(p));
    const final = await manager.initialSync((p) => reported.push(p));
    expect(reported).toEqual([
      { batch: 1, totalPulled: 500, hasMore: true, total: 1050 },
      { batch: 2, totalPulled: 1000, hasMore: true, total: 1050 },
      { batch: 3, totalPulled: 1050, hasMore: false, total: 1050 },
    ]);
    expect(events).toEqual(reported);
    expect(final).toEqual(reported[2]);
    const pulls = scripted.callsOf('pull').map((c) => c.request as PullRequest);
    expect(pulls.map((p) => p.withTotal === true)).toEqual([true, false, false]);
    expect(await reader.replica.list('notes')).toHaveLength(1050);
  });

  it('asks for the total again when its first batch was lost to another tab that moved the cursor', async () => {
    const server = await serverWith(1050);
    const reader = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    const manager = connect(reader.replica, scripted.transport, { batchSize: 500 });
    const release = scripted.hold('pull');
    const syncing = manager.initialSync();
    await until(() => scripted.callsOf('pull').length === 1, 'the first pull on the wire');
    // Another tab (its own store object on the same database) pulls one batch meanwhile.
    const inner = memoryTransport(server);
    let otherPulls = 0;
    const oneBatchOnly = {
      ...inner,
      pull: async (request: PullRequest) => {
        if (++otherPulls > 1) throw new SyncError(ErrorCode.TRANSPORT, 'the other tab went offline');
        return inner.pull(request);
      },
    };
    const otherTab = connect(await reader.reopen(), oneBatchOnly, { batchSize: 500, direction: 'pull-only' });
    await expect(otherTab.syncOnce()).rejects.toThrow(/offline/);
    release();
    const final = await syncing;
    const pulls = scripted.callsOf('pull').map((c) => c.request as PullRequest);
    expect(pulls[0]?.withTotal).toBe(true);
    // The answer asked ahead was for the wrong cursor too; the request that starts again
    // from the other tab's cursor asks for the total, since no applied batch brought one.
    expect(pulls.slice(1).filter((p) => p.withTotal === true)).toHaveLength(1);
    expect(final).toMatchObject({ total: 550, totalPulled: 550, hasMore: false }); // what was left after the other tab's batch
    expect(await reader.replica.list('notes')).toHaveLength(1050);
  });

  it('resumes from the saved cursor after a crash between batches, applying every record once', async () => {
    const server = await serverWith(1050);
    const reader = await newReplica();
    const first = connect(reader.replica, memoryTransport(server), { batchSize: 500 });
    const before: SyncProgress[] = [];
    const crash = await first
      .initialSync((p) => {
        before.push(p);
        if (p.batch === 1) reader.replica.close(); // the tab goes away after batch 1
      })
      .catch((error: unknown) => error);
    expect(crash).toBeInstanceOf(SyncError);
    expect((crash as SyncError).code).toBe(ErrorCode.DATABASE_CLOSED);
    expect(before).toHaveLength(1);

    const reopened = await reader.reopen();
    expect(await reopened.list('notes')).toHaveLength(500);
    const scripted = scriptedTransport(memoryTransport(server));
    const after: SyncProgress[] = [];
    await connect(reopened, scripted.transport, { batchSize: 500 }).initialSync((p) => after.push(p));
    expect(after).toEqual([
      { batch: 1, totalPulled: 500, hasMore: true, total: 550 },
      { batch: 2, totalPulled: 550, hasMore: false, total: 550 },
    ]);
    expect((scripted.callsOf('pull')[0]?.request as PullRequest).cursor).toBeGreaterThan(0);
    const records = await reopened.list('notes');
    expect(records.map((r) => r.id)).toEqual(Array.from({ length: 1050 }, (_, i) => id(i)));
    expect(records.every((r, i) => (r.value as { i: number }).i === i)).toBe(true);
  });

  it('stop() waits for the batch asked ahead, so nothing is left on the wire', async () => {
    const server = await serverWith(7);
    const reader = await newReplica();
    const transport = memoryTransport(server);
    const gates: (() => void)[] = [];
    let calls = 0;
    let onTheWire = 0;
    const pull = transport.pull;
    transport.pull = async (request) => {
      calls += 1;
      onTheWire += 1;
      try {
        if (calls > 1) await new Promise<void>((resolve) => gates.push(resolve));
        return await pull(request);
      } finally {
        onTheWire -= 1;
      }
    };
    const manager = connect(reader.replica, transport, { batchSize: 2 });
    let batches = 0;
    const syncing = manager.initialSync(() => void (batches += 1)).catch((error: unknown) => error);
    await until(() => batches === 1 && gates.length === 1, 'batch 1 applied, batch 2 asked ahead');
    let stopped = false;
    const stopping = manager.stop().then(() => (stopped = true));
    gates.shift()?.(); // batch 2 arrives; batch 3 is asked ahead while it is applied
    await until(() => gates.length === 1, 'batch 3 asked ahead');
    await settle();
    expect(stopped).toBe(false);
    gates.shift()?.();
    await stopping;
    expect(onTheWire).toBe(0);
    expect(((await syncing) as SyncError).code).toBe(ErrorCode.SHUTDOWN);
    expect(await reader.replica.list('notes')).toHaveLength(4); // batches 1 and 2, each with its cursor
  });

  it('start() catches up with progress events; initialSync() after start joins that catch-up instead of pulling twice', async () => {
    const server = await serverWith(1050);
    const reader = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    const manager = connect(reader.replica, scripted.transport, { batchSize: 500, pushIntervalMs: 60_000, pullIntervalMs: 60_000 });
    const events: SyncProgress[] = [];
    manager.on('progress', (p) => events.push(p));
    await manager.start();
    const reported: SyncProgress[] = [];
    const final = await manager.initialSync((p) => reported.push(p));
    expect(final).toEqual({ batch: 3, totalPulled: 1050, hasMore: false, total: 1050 });
    expect(events.map((p) => p.totalPulled)).toEqual([500, 1000, 1050]);
    expect(reported.at(-1)).toEqual(final);
    expect(scripted.callsOf('pull')).toHaveLength(3);
    expect(await reader.replica.list('notes')).toHaveLength(1050);
    await manager.stop();
  });

  it("start() after the app's own initialSync() adds no 'nothing new' progress over that run's", async () => {
    const server = await serverWith(3);
    const reader = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    const manager = connect(reader.replica, scripted.transport, { pushIntervalMs: 60_000, pullIntervalMs: 60_000 });
    const events: SyncProgress[] = [];
    manager.on('progress', (p) => events.push(p));
    await manager.initialSync();
    await manager.start();
    await until(() => scripted.callsOf('pull').length === 2 && manager.status().state === 'idle', "the loop's catch-up");
    expect(events).toEqual([{ batch: 1, totalPulled: 3, hasMore: false, total: 3 }]);
    const joined: SyncProgress[] = [];
    await manager.initialSync((p) => joined.push(p)); // a call still hears how its catch-up ended
    expect(joined).toEqual([{ batch: 1, totalPulled: 0, hasMore: false, total: 0 }]);
    await manager.stop();
  });

  it('a catch-up cut short rejects initialSync(), and the loop goes on to catch up', async () => {
    const server = await serverWith(30);
    const reader = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    scripted.fail('pull', new SyncError(ErrorCode.TRANSPORT, 'connection reset'), 1);
    const manager = connect(reader.replica, scripted.transport, { batchSize: 10, retry: { initialDelayMs: 1, maxDelayMs: 1 } });
    // Expected before start() is awaited: the catch-up may fail first, and an await in
    // between would leave its rejection unhandled for a moment.
    const failed = expect(manager.initialSync()).rejects.toMatchObject({ code: ErrorCode.TRANSPORT });
    await manager.start();
    await failed;
    await until(() => manager.status().running && manager.status().state === 'idle' && manager.status().lastSyncedAt !== null, 'the loop caught up');
    await until(() => scripted.callsOf('pull').length >= 4, 'the retried catch-up');
    expect(await reader.replica.list('notes')).toHaveLength(30);
    await manager.stop();
  });

  it('pulls nothing when the manager is push-only', async () => {
    const server = await serverWith(3);
    const reader = await newReplica();
    const progress = await connect(reader.replica, memoryTransport(server), { direction: 'push-only' }).initialSync();
    expect(progress).toEqual({ batch: 0, totalPulled: 0, hasMore: false, total: 0 });
    expect(await reader.replica.list('notes')).toEqual([]);
  });
});
