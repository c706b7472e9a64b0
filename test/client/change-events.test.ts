/**
 * `change` events carry the written values, so their cost grows with the write: a
 * `putMany` of N reaches every tab's page as ONE event of N entries (one message per
 * transaction), never N events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/store/types.ts';
import { waitFor } from '../support/wait.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;

afterEach(async () => {
  await world?.closeAll();
});

describe('change events', () => {
  it('a putMany of 500 is one change event of 500 entries in every tab, the writer’s included', async () => {
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
      await waitFor(`tab ${i + 1} to hear the marker`, () => events.at(-1)?.changes[0]?.id, (id) => id === 'marker');
      expect(events.map((e) => e.changes.length)).toEqual([500, 1]);
      expect(events[0]).toMatchObject({ source: 'local' });
      expect(events[0]!.changes[499]).toEqual({ collective: 'bulk', id: 'r499', op: 'put', value: { i: 499 } });
    }
  });
});
