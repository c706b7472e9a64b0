import { describe, expect, it } from 'vitest';
import { createSyncServer } from '../../src/server/sync-server.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { connect, memoryTransport, newReplica } from './fixtures.ts';

/**
 * Found after this branch's fresh-clone CI passed, and the reason it is not on main:
 * every pull from 0 is a snapshot whose end drops what it did not bring. The push and
 * pull loops run at the same time, so a replica that wrote offline can have its first
 * page answered before its push arrives and applied after the push was acknowledged:
 * the write is no longer pending (not spared), its hlc is below `since` (read at the
 * apply, not at the request), and the server hides it from every later page as the
 * replica's own row above the mark. The snapshot's end drops it: the device loses its
 * offline write while the server keeps it. The same test passes on main (no drop).
 * Fix in the next session: `since` and the spared records read when the first page is
 * asked, not when it is applied (or branch `stale`: a batch asked before an
 * acknowledgement is refused and asked again). Until then `it.fails`.
 */
describe('offline start race', () => {
  it.fails('a first pull answered before this replica\'s offline write was pushed does not drop that write', async () => {
    const server = createSyncServer({ store: memoryServerStore() });
    const plain = memoryTransport(server);
    const other = await newReplica();
    await other.replica.put('notes', 'n', 'theirs');
    await connect(other.replica, plain).syncOnce();
    const { replica, reopen } = await newReplica();
    await replica.put('notes', 'm', 'mine');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let answered!: () => void;
    const pullAnswered = new Promise<void>((resolve) => (answered = resolve));
    let mark: unknown;
    const slowPull = { ...plain, pull: async (request: Parameters<typeof plain.pull>[0]) => {
      const answer = await plain.pull(request);
      mark = answer.snapshotMark;
      answered();
      await held;
      return answer;
    } };
    const pulling = connect(await reopen(), slowPull, { direction: 'pull-only' }).syncOnce();
    await pullAnswered;
    await connect(replica, plain, { direction: 'push-only' }).syncOnce();
    expect(await replica.pendingCount()).toBe(0);
    release();
    await pulling;
    expect(mark).toBe(1); // the server sent a mark: the first pull was a snapshot
    expect((await replica.get('notes', 'n'))?.value).toBe('theirs');
    expect((await replica.get('notes', 'm'))?.value).toBe('mine');
  });
});
