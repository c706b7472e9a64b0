/**
 * Issue 14's first story, under last-write-wins with whole records: device A's edit was
 * pushed first, device B (which had not seen it) wrote the same record later and won.
 * A hears of it when it pulls: one `conflict` event saying what it had, what won and
 * why, and never again for that write. On the IndexedDB replica (the default worker's)
 * and the memory one.
 */
import { describe, expect, it } from 'vitest';
import { peerKey } from '../../src/engine/peer-key.ts';
import type { ConflictInfo } from '../../src/engine/types.ts';
import { memoryReplica, memoryDatabases } from '../../src/store/memory-replica.ts';
import type { LocalStore } from '../../src/store/types.ts';
import { connect, memoryTransport, newReplica, newServer } from './fixtures.ts';

const kinds: readonly { readonly kind: string; readonly open: (now: () => number) => Promise<LocalStore> }[] = [
  { kind: 'IndexedDB', open: async (now) => (await newReplica(undefined, { now })).replica },
  { kind: 'memory', open: (now) => memoryReplica({ name: 'replica', databases: memoryDatabases(), now }) },
];

describe.each(kinds)('a pushed write overruled unseen ($kind replica)', ({ open }) => {
  /** Two replicas on one wall clock that moves only with `later()`, and a third to edit after seeing. */
  async function devices() {
    const { server, store } = newServer();
    let wallMs = Date.now();
    const now = () => wallMs;
    const [a, b, c] = [await open(now), await open(now), await open(now)];
    const [syncA, syncB, syncC] = [a, b, c].map((replica) => connect(replica, memoryTransport(server))) as [ReturnType<typeof connect>, ReturnType<typeof connect>, ReturnType<typeof connect>];
    const heard = { a: [] as ConflictInfo[], b: [] as ConflictInfo[] };
    syncA.on('conflict', (conflict) => heard.a.push(conflict));
    syncB.on('conflict', (conflict) => heard.b.push(conflict));
    return { store, a, b, c, syncA, syncB, syncC, heard, later: () => void (wallMs += 1) };
  }

  it('tells the device whose pushed edit lost, once, what it had, what won and why', async () => {
    const { a, b, syncA, syncB, heard, later } = await devices();
    await a.put('todos', 't', { title: 'from a' });
    await syncA.syncOnce(); // pushed first
    later();
    await b.put('todos', 't', { title: 'from b' }); // offline: b has not seen a's edit
    await syncB.syncOnce(); // later on the clock: wins
    await syncA.syncOnce();
    expect((await a.get('todos', 't'))?.value).toEqual({ title: 'from b' });
    expect(heard.a).toEqual([
      {
        collective: 'todos',
        id: 't',
        policy: 'last-write-wins',
        local: { op: 'put', value: { title: 'from a' } },
        remote: expect.objectContaining({ op: 'put', value: { title: 'from b' }, source: b.instanceId }),
        outcome: 'remote',
        reason: expect.stringMatching(/later than the pushed one \(.*\); last-write-wins kept the server's/),
      },
    ]);
    expect(heard.b).toEqual([]);
    // Pulled again, the same row is no news.
    await syncA.syncOnce();
    await connect(a, memoryTransport(newServer().server)).syncOnce();
    expect(heard.a).toHaveLength(1);
  });

  it('tells it once even when a client reset pulls the record again from scratch', async () => {
    const { store, a, b, syncA, syncB, heard, later } = await devices();
    await a.put('todos', 't', { title: 'from a' });
    await syncA.syncOnce();
    later();
    await b.put('todos', 't', { title: 'from b' });
    await syncB.syncOnce();
    await syncA.syncOnce();
    await a.resetPull(peerKey(await store.serverId(), undefined), 'cursor-expired');
    await syncA.syncOnce(); // a snapshot: the row comes again, mark and all
    expect(await a.pullCursor(peerKey(await store.serverId(), undefined))).toBeGreaterThan(0);
    expect(heard.a).toHaveLength(1);
  });

  it('tells it even when a later edit made after seeing the winner reaches it first', async () => {
    const { a, b, c, syncA, syncB, syncC, heard, later } = await devices();
    await a.put('todos', 't', { title: 'from a' });
    await syncA.syncOnce();
    later();
    await b.put('todos', 't', { title: 'from b' });
    await syncB.syncOnce();
    await syncC.syncOnce(); // c sees b's edit…
    later();
    await c.put('todos', 't', { title: 'from c' }); // …and edits after it
    await syncC.syncOnce();
    await syncA.syncOnce();
    expect((await a.get('todos', 't'))?.value).toEqual({ title: 'from c' });
    expect(heard.a).toHaveLength(1);
    expect(heard.a[0]).toMatchObject({ local: { value: { title: 'from a' } }, remote: { value: { title: 'from c' } }, outcome: 'remote' });
  });

  it('tells nobody when the later writer had seen the edit it replaced', async () => {
    const { a, b, syncA, syncB, heard, later } = await devices();
    await a.put('todos', 't', { title: 'from a' });
    await syncA.syncOnce();
    await syncB.syncOnce(); // b sees a's edit first
    later();
    await b.put('todos', 't', { title: 'from b' });
    await syncB.syncOnce();
    await syncA.syncOnce();
    expect((await a.get('todos', 't'))?.value).toEqual({ title: 'from b' });
    expect(heard).toEqual({ a: [], b: [] });
  });

  it('tells a device nothing of a lost write it replaced itself, and the write its replacement overruled is told', async () => {
    const { a, b, syncA, syncB, heard, later } = await devices();
    await a.put('todos', 't', { title: 'first' });
    await syncA.syncOnce();
    later();
    await b.put('todos', 't', { title: 'from b' }); // overrules a's first edit unseen
    await syncB.syncOnce();
    later();
    await a.put('todos', 't', { title: 'second' }); // a, offline still, edits again: later than b's
    await syncA.syncOnce(); // pushed first: it wins over b's row, and a's first edit is no loss of a's any more
    await syncB.syncOnce();
    expect((await b.get('todos', 't'))?.value).toEqual({ title: 'second' });
    expect(heard.a).toEqual([]);
    // b's edit was overruled by a's second, made without seeing it.
    expect(heard.b).toMatchObject([{ local: { value: { title: 'from b' } }, remote: { value: { title: 'second' } } }]);
  });
});
