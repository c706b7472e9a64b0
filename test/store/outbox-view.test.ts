/**
 * The outbox as an app sees it (issue 12, item 2), on the IndexedDB replica under
 * fake-indexeddb: the writes waiting, and a by-record index that answers a whole list's
 * "synced?" marks with one read of the log.
 */
import { describe, expect, it } from 'vitest';
import { OutboxIndex, pendingWrites } from '../../src/store/outbox-view.ts';
import type { LocalStore } from '../../src/store/types.ts';
import { newReplica } from '../engine/fixtures.ts';

/** Counts the log reads of `replica`. */
function countLogReads(replica: LocalStore): () => number {
  const read = replica.pendingChanges.bind(replica);
  let reads = 0;
  replica.pendingChanges = (limit) => {
    reads += 1;
    return read(limit);
  };
  return () => reads;
}

describe('the outbox', () => {
  it('lists the writes waiting, oldest first, with their age, and values only when asked', async () => {
    let now = 1_700_000_000_000;
    const { replica } = await newReplica('outbox', { now: () => now });
    await replica.put('todos', 'a', { title: 'A' });
    now += 5_000;
    await replica.write([
      { op: 'put', collective: 'todos', id: 'b', value: { title: 'B' } },
      { op: 'delete', collective: 'todos', id: 'a' },
    ]);
    const listed = await pendingWrites(replica, {}, now + 1_000);
    expect(listed).toEqual([
      { collective: 'todos', id: 'a', op: 'put', seq: 1, writtenAt: 1_700_000_000_000, ageMs: 6_000 },
      { collective: 'todos', id: 'b', op: 'put', seq: 2, writtenAt: 1_700_000_005_000, ageMs: 1_000 },
      { collective: 'todos', id: 'a', op: 'delete', seq: 3, writtenAt: 1_700_000_005_000, ageMs: 1_000 },
    ]);
    expect((await pendingWrites(replica, { values: true, limit: 2 }, now)).map((w) => w.value)).toEqual([{ title: 'A' }, { title: 'B' }]);
    await replica.acknowledge('peer', 2);
    expect((await pendingWrites(replica)).map((w) => w.seq)).toEqual([3]);
  });

  it('answers per record from one log read until the log changes', async () => {
    const { replica } = await newReplica();
    await replica.putMany(Array.from({ length: 100 }, (_, i) => ({ collective: 'todos', id: `t${i}`, value: i })));
    await replica.put('notes', 'n', 1);
    const reads = countLogReads(replica);
    const index = new OutboxIndex(replica);
    const marks = await Promise.all(Array.from({ length: 200 }, (_, i) => index.isPending('todos', `t${i}`)));
    expect(marks.filter(Boolean)).toHaveLength(100);
    expect(await index.pendingIds('notes')).toEqual(['n']);
    expect(reads()).toBe(1);

    await replica.acknowledge('peer', 50); // t0…t49 go out
    index.invalidate();
    expect(await index.isPending('todos', 't10')).toBe(false);
    expect(await index.isPending('todos', 't60')).toBe(true);
    expect((await index.pendingIds('todos')).length).toBe(50);
    expect(reads()).toBe(2);
  });

  it('does not keep a read the log changed under', async () => {
    const { replica } = await newReplica();
    const index = new OutboxIndex(replica);
    const asked = index.isPending('todos', 'x'); // reads an empty log…
    await replica.put('todos', 'x', 1);
    index.invalidate(); // …which a write changes meanwhile
    expect(await asked).toBe(false);
    expect(await index.isPending('todos', 'x')).toBe(true);
  });
});
