/**
 * The outbox, visible through the client (issue 12, item 2): what waits, per record
 * too (a "synced?" mark), in every tab; and a status that carries the cursors and keeps
 * `lastSyncedAt` across a reload.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;

afterEach(async () => {
  await world?.closeAll();
});

describe('the outbox', () => {
  it('lists the waiting writes without values unless asked, and marks records pending in every tab until pushed', async () => {
    world = tabsWorld();
    const one = world.open();
    const two = world.open();
    await one.put('todos', 'a', { title: 'A' });
    await two.put('todos', 'b', { title: 'B' });
    await one.delete('todos', 'a');

    const listed = await two.pending();
    expect(listed.map(({ collective, id, op, seq }) => ({ collective, id, op, seq }))).toEqual([
      { collective: 'todos', id: 'a', op: 'put', seq: 1 },
      { collective: 'todos', id: 'b', op: 'put', seq: 2 },
      { collective: 'todos', id: 'a', op: 'delete', seq: 3 },
    ]);
    expect(listed.every((w) => w.ageMs >= 0 && w.writtenAt > 0 && !('value' in w))).toBe(true);
    expect((await one.pending({ values: true }))[1]?.value).toEqual({ title: 'B' });

    // Each tab knows, whoever wrote: the other tab's write came as a change message.
    await waitFor('both tabs to mark a and b', () => Promise.all([one.pendingIds('todos'), two.pendingIds('todos')]), (ids) =>
      ids.every((list) => JSON.stringify(list) === '["a","b"]'),
    );
    expect(await two.isPending('todos', 'a')).toBe(true);
    expect(await two.isPending('todos', 'c')).toBe(false);

    await one.syncOnce(); // pushed: the marks go, in both tabs (told by the ack event)
    await waitFor('no marks left', () => Promise.all([one.pendingIds('todos'), two.pendingIds('todos')]), (ids) => ids.every((list) => list.length === 0));
    expect(await two.pending()).toEqual([]);
  });

  it('status carries the cursors, and lastSyncedAt and the cursors survive a reload', async () => {
    world = tabsWorld();
    const tab = world.open();
    await tab.put('todos', 'a', 1);
    await tab.start();
    await waitFor('pushed and pulled', () => tab.status(), (s) => s.pending === 0 && s.cursors?.push === 1 && s.lastSyncedAt !== null);
    const { lastSyncedAt, cursors } = tab.status();
    await tab.close();

    const reloaded = world.open(); // not started: nothing has synced in this "page"
    await reloaded.ready;
    expect(reloaded.status()).toMatchObject({ state: 'idle', running: false, lastSyncedAt, cursors });
  });
});
