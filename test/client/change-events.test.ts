/**
 * A local write's `change` event carries the written values, so its cost grows with the
 * write: a `putMany` of N reaches the writer's page as ONE event of N entries (one
 * message per transaction), never N events, and the other tabs in one message too
 * (gathered with the writes right after it: a burst is told to the other tabs in one
 * change). A pulled batch's names its records without their values, so a catch-up of a
 * million records clones no values into any page.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PageChangeEvent as ChangeEvent } from '../../src/worker-api/sync-worker-api.ts';
import { waitFor } from '../support/wait.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;

afterEach(async () => {
  await world?.closeAll();
});

describe('change events', () => {
  it('a putMany of 500 is one change event of 500 entries in the writer’s tab, and never split in the others', async () => {
    world = tabsWorld();
    const tabs = [world.open(), world.open(), world.open()];
    const seen = tabs.map(() => [] as ChangeEvent[]);
    await Promise.all(tabs.map((tab) => tab.ready));
    tabs.forEach((tab, i) => tab.on('change', (event) => seen[i]!.push(event)));

    const [writer] = tabs;
    await writer!.putMany(Array.from({ length: 500 }, (_, i) => ({ collective: 'bulk', id: `r${i}`, value: { i } })));
    // A marker written after it: once a tab has heard the marker it has heard everything before it.
    await writer!.put('bulk', 'marker', true);
    for (const [i, events] of seen.entries()) {
      await waitFor(`tab ${i + 1} to hear the marker`, () => events.at(-1)?.changes.at(-1)?.id, (id) => id === 'marker');
      // The writer hears each transaction; another tab may hear the marker gathered with the batch.
      expect(events.map((e) => e.changes.length)).toEqual(i === 0 ? [500, 1] : expect.toBeOneOf([[500, 1], [501]]));
      expect(events[0]).toMatchObject({ source: 'local' });
      expect(events[0]!.changes[499]).toEqual({ collective: 'bulk', id: 'r499', op: 'put', value: { i: 499 } });
    }
  });

  it('a pulled batch reaches every tab’s page as one event naming its records, without their values', async () => {
    world = tabsWorld();
    const device = tabsWorld({ server: world.server }).open();
    await device.putMany(Array.from({ length: 30 }, (_, i) => ({ collective: 'feed', id: `f${i}`, value: { big: 'x'.repeat(100), i } })));
    await device.delete('feed', 'f29');
    await device.syncOnce();
    await device.close();

    const tabs = [world.open({ config: { batchSize: 20 } }), world.open()];
    await Promise.all(tabs.map((tab) => tab.ready));
    const seen = tabs.map(() => [] as ChangeEvent[]);
    tabs.forEach((tab, i) => tab.on('change', (event) => seen[i]!.push(event)));
    await tabs[0]!.initialSync();
    for (const [i, events] of seen.entries()) {
      await waitFor(`tab ${i + 1} to hear both batches`, () => events.length, (n) => n === 2);
      expect(events.map((e) => [e.source, e.changes.length])).toEqual([
        ['remote', 20],
        ['remote', 10],
      ]);
      expect(events[0]!.changes[0]).toEqual({ collective: 'feed', id: 'f0', op: 'put' });
      expect(events[1]!.changes.at(-1)).toEqual({ collective: 'feed', id: 'f29', op: 'delete' });
    }
    // The values are in the replica, read when shown.
    expect((await tabs[1]!.get('feed', 'f3'))?.value).toEqual({ big: 'x'.repeat(100), i: 3 });
  });
});
