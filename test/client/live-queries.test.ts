/**
 * Live queries: a watch hears its result at once, then again after each committed
 * change that could alter it — a write in any tab, a pulled batch (once per batch), a
 * delete — and never for another collection. Unsubscribing frees it in the worker;
 * after clearLocalData every tab's watches answer again from the new replica.
 */
import { describe, expect, it, afterEach } from 'vitest';
import type { CollectionPage } from '../../src/client/collection-types.ts';
import { defineCollections } from '../../src/client/define-collections.ts';
import type { WatchMessage, WatchResult, WatchTarget } from '../../src/query/types.ts';
import type { ChangeEvent } from '../../src/store/types.ts';
import { WatchRegistry } from '../../worker/watch-registry.ts';
import { waitFor } from '../support/wait.ts';
import { tabsWorld } from './tabs.ts';

let worlds: ReturnType<typeof tabsWorld>[] = [];
afterEach(async () => {
  await Promise.all(worlds.map((w) => w.closeAll()));
  worlds = [];
});

const collections = defineCollections({ todos: { indexes: ['createdAt'] }, notes: {} });
type Todo = { title: string; createdAt: number };

function world(server?: ReturnType<typeof tabsWorld>['server']): ReturnType<typeof tabsWorld> {
  const made = tabsWorld(server === undefined ? {} : { server });
  worlds.push(made);
  return made;
}

describe('live queries between tabs and devices', () => {
  it('hear their result first, then a write made in another tab', async () => {
    const w = world();
    const watching = w.open({ collections });
    const writing = w.open({ collections });
    const pages: CollectionPage<Todo>[] = [];
    watching.collection('todos').watch({ orderBy: 'createdAt' }, (page) => pages.push(page as CollectionPage<Todo>));
    await waitFor('the first result', () => pages.length, (n) => n === 1);
    expect(pages[0]?.records).toEqual([]);
    await writing.collection('todos').put('t1', { title: 'from tab 2', createdAt: 5 });
    await waitFor('the write of the other tab', () => pages.at(-1)?.records.length, (n) => n === 1);
    expect(pages.at(-1)?.records).toEqual([{ id: 't1', value: { title: 'from tab 2', createdAt: 5 } }]);
  });

  it('re-run once for a pulled batch of 500, and not for a batch of another collection', async () => {
    const first = world();
    const writer = first.open({ collections });
    const other = world(first.server).open({ collections });
    const counts: number[] = [];
    const notes: number[] = [];
    other.collection('todos').watchCount(undefined, (n) => counts.push(n));
    other.collection('notes').watchCount(undefined, (n) => notes.push(n));
    await waitFor('both first results', () => counts.length + notes.length, (n) => n === 2);

    await writer.putMany(Array.from({ length: 500 }, (_, i) => ({ collective: 'todos', id: `t${i}`, value: { title: `${i}`, createdAt: i } })));
    await writer.syncOnce();
    await other.syncOnce();
    await waitFor('the batch counted', () => counts.at(-1), (n) => n === 500);
    // A later write to notes: once its result is in, any re-run of the todos batch would be too.
    await other.collection('notes').put('n1', { text: 'marker' });
    await waitFor('the notes write', () => notes.at(-1), (n) => n === 1);
    expect(counts).toEqual([0, 500]);
    expect(notes).toEqual([0, 1]);
  });

  it('follow one record through put, update and delete', async () => {
    const w = world();
    const client = w.open({ collections });
    const seen: unknown[] = [];
    const stop = client.collection('todos').watchRecord('t1', (value) => seen.push(value));
    await waitFor('the first result', () => seen.length, (n) => n === 1);
    await client.collection('todos').put('t1', { title: 'a', createdAt: 1 });
    await waitFor('the put', () => seen.length, (n) => n === 2);
    await client.collection('todos').put('t2', { title: 'other', createdAt: 2 }); // not this record
    await client.collection('todos').delete('t1');
    await waitFor('the delete', () => seen.length, (n) => n === 3);
    expect(seen).toEqual([undefined, { title: 'a', createdAt: 1 }, undefined]);
    stop();
  });

  it('answer again from the new replica after clearLocalData, in every tab, and follow its writes', async () => {
    const w = world();
    const [one, two] = [w.open({ collections }), w.open({ collections })];
    const counts: number[][] = [[], []];
    [one, two].forEach((tab, i) => tab.collection('todos').watchCount(undefined, (n) => counts[i]?.push(n)));
    await waitFor('the first results', () => counts.map((c) => c.length).join(), (n) => n === '1,1');
    // A collection's write has a receipt like any other: the server takes it.
    const receipt = await one.collection('todos').put('t1', { title: 'before', createdAt: 1 });
    await one.syncOnce();
    expect(await one.whenPushed(receipt)).toMatchObject({ status: 'accepted' });
    await waitFor('the write counted in both tabs', () => counts.map((c) => c.at(-1)).join(), (n) => n === '1,1');

    await two.clearLocalData();
    await waitFor('both tabs answered from the empty replica', () => counts.map((c) => c.at(-1)).join(), (n) => n === '0,0');
    await two.collection('todos').put('t2', { title: 'after', createdAt: 2 });
    await waitFor('the new write counted in both tabs', () => counts.map((c) => c.at(-1)).join(), (n) => n === '1,1');
    expect(counts).toEqual([
      [0, 1, 0, 1],
      [0, 1, 0, 1],
    ]);
  });
});

describe('the watch registry of a worker', () => {
  /** A registry whose runs are counted and answered by hand. */
  function registry(): { watches: WatchRegistry; runs: WatchTarget[]; sent: WatchMessage[]; finish: () => void } {
    const runs: WatchTarget[] = [];
    const sent: WatchMessage[] = [];
    let pending: (() => void)[] = [];
    const watches = new WatchRegistry(
      (target) => {
        runs.push(target);
        return new Promise<WatchResult>((resolve) => pending.push(() => resolve(target.kind === 'query' ? { records: [] } : 0)));
      },
      (message) => sent.push(message),
    );
    const finish = (): void => {
      const now = pending;
      pending = [];
      for (const resolve of now) resolve();
    };
    return { watches, runs, sent, finish };
  }

  const batch = (collective: string, count: number): ChangeEvent => ({
    source: 'remote',
    changes: Array.from({ length: count }, (_, i) => ({ collective, id: `r${i}`, op: 'put' as const, value: { n: i } })),
  });
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('runs a watch once per event, once more for events during a run, never for another collection', async () => {
    const { watches, runs, finish } = registry();
    watches.add(1, { kind: 'count', collection: 'todos' });
    watches.add(2, { kind: 'count', collection: 'notes' });
    expect(runs).toHaveLength(2);
    finish();
    await settle();
    watches.changed(batch('todos', 500));
    expect(runs.map((t) => t.collection)).toEqual(['todos', 'notes', 'todos']);
    // Three more events while that run is in flight: one more run after it.
    watches.changed(batch('todos', 1));
    watches.changed(batch('todos', 1));
    watches.changed(batch('todos', 1));
    finish();
    await settle();
    expect(runs.map((t) => t.collection)).toEqual(['todos', 'notes', 'todos', 'todos']);
  });

  it('re-runs a query only for values that may enter it or records it shows', async () => {
    const { watches, runs, finish } = registry();
    watches.add(1, { kind: 'query', collection: 'todos', query: { where: { listId: 'a' } } });
    finish();
    await settle();
    watches.changed({ source: 'local', changes: [{ collective: 'todos', id: 'x', op: 'put', value: { listId: 'b' } }] });
    watches.changed({ source: 'local', changes: [{ collective: 'todos', id: 'x', op: 'delete' }] });
    expect(runs).toHaveLength(1);
    watches.changed({ source: 'local', changes: [{ collective: 'todos', id: 'y', op: 'put', value: { listId: 'a' } }] });
    expect(runs).toHaveLength(2);
  });

  it('frees a removed watch: no run, no message, nothing held', async () => {
    const { watches, runs, sent, finish } = registry();
    watches.add(7, { kind: 'record', collection: 'todos', id: 't1' });
    watches.remove(7);
    finish();
    await settle();
    watches.changed({ source: 'local', changes: [{ collective: 'todos', id: 't1', op: 'delete' }] });
    expect(runs).toHaveLength(1);
    expect(sent).toEqual([]);
    expect(watches.size).toBe(0);
  });
});
