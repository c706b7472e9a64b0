/**
 * Quiet when idle, as a page sees it (issue 12, item 6): a tab leading with the live
 * channel up, nothing happening for a minute of the worker's (simulated) time, makes at
 * most 2 requests and its page hears no `status` event; a write still goes out at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../src/protocol/types.ts';
import { waitFor } from '../support/wait.ts';
import { simulatedTime } from './simulated-time.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;

afterEach(async () => {
  await world?.closeAll();
});

describe('an idle tab with the live channel up', () => {
  it('makes at most 2 requests and its page hears no status event in 60 s; a write still goes at once', async () => {
    const time = simulatedTime();
    world = tabsWorld({ live: true, workerOptions: { time } });
    const leader = world.open();
    const follower = world.open();
    await leader.start();
    await follower.start();
    await waitFor('the first sync', () => leader.status(), (s) => s.lastSyncedAt !== null && s.state === 'idle');
    await time.advance(1_000); // let the start settle
    const statuses: SyncStatus[][] = [[], []];
    leader.on('status', (s) => statuses[0]?.push(s));
    follower.on('status', (s) => statuses[1]?.push(s));
    const before = world.requests.length;

    await time.advance(60_000);

    const idle = world.requests.slice(before);
    console.log(`idle 60 s through the worker, live up: ${idle.length} requests (${idle.map((r) => r.route).join(', ')}), ${statuses[0]?.length} + ${statuses[1]?.length} status events (leader + follower page)`);
    expect(idle.length).toBeLessThanOrEqual(2);
    expect(statuses).toEqual([[], []]);

    await follower.put('notes', 'n', 1);
    const pushed = await waitFor('the write pushed', async () => (await time.advance(100), world.pushed), (p) => p.includes('notes/n@1'));
    expect(pushed).toEqual(['notes/n@1']);
  });
});
