import { describe, expect, it } from 'vitest';
import { createSyncServer } from '../../src/server/sync-server.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { holdAnswers } from './chaos-race.ts';
import { connect, memoryTransport, newReplica } from './fixtures.ts';

/**
 * Every pull from 0 is a snapshot whose end drops what it did not bring, and the push and
 * pull loops run at the same time. A replica that wrote offline can have its first page
 * answered before its push arrives and applied after the push was acknowledged: the write
 * is no longer pending (so not spared), its hlc is below the snapshot's clock, and the
 * server hides it from later pages as the replica's own row above the mark. Applied, that
 * page would let the snapshot's end drop the device's offline write while the server keeps
 * it. The pull reads the push cursor before it asks, and a batch asked before an
 * acknowledgement is refused and asked again (`CursorAdvance.acked`): the new first page
 * carries the write.
 */
describe('offline start race', () => {
  it('a first pull answered before this replica\'s offline write was pushed does not drop that write', async () => {
    const server = createSyncServer({ store: memoryServerStore() });
    const plain = memoryTransport(server);
    const other = await newReplica();
    await other.replica.put('notes', 'n', 'theirs');
    await connect(other.replica, plain).syncOnce();
    const { replica, reopen } = await newReplica();
    await replica.put('notes', 'm', 'mine');
    // Each pull's snapshot mark recorded, the first answer held on its way back.
    const marks: unknown[] = [];
    const recording = { ...plain, pull: async (request: Parameters<typeof plain.pull>[0]) => {
      const answer = await plain.pull(request);
      marks.push(answer.snapshotMark);
      return answer;
    } };
    const slowPull = holdAnswers(recording, 'pull');
    const pulling = connect(await reopen(), slowPull.transport, { direction: 'pull-only' }).syncOnce();
    await slowPull.served;
    await connect(replica, plain, { direction: 'push-only' }).syncOnce();
    expect(await replica.pendingCount()).toBe(0);
    slowPull.release();
    await pulling;
    // The first answer was a snapshot's first page (a mark), asked before the push; it was
    // refused and the snapshot asked again, now past the push.
    expect(marks).toEqual([1, 2]);
    expect((await replica.get('notes', 'n'))?.value).toBe('theirs');
    expect((await replica.get('notes', 'm'))?.value).toBe('mine');
  });
});
