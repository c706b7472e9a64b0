/**
 * A client reset through the client (issue 12, item 4): a tab whose pull cursor the
 * server refuses as older than its tombstone horizon pulls a fresh snapshot; every tab
 * hears `reset` (started, then done with what it dropped), a delete it missed takes
 * effect, and a write waiting in the outbox is kept and pushed, its receipt intact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ResetEvent } from '../../src/engine/types.ts';
import { createSyncServer } from '../../src/server/sync-server.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { waitFor } from '../support/wait.ts';
import { tabsWorld } from './tabs.ts';

const HORIZON_MS = 1_000;
let worlds: ReturnType<typeof tabsWorld>[] = [];

afterEach(async () => {
  await Promise.all(worlds.map((w) => w.closeAll()));
  worlds = [];
});

describe('a client reset, seen from the page', () => {
  it('tells every tab, drops the swept delete, and keeps the outbox and its receipts', async () => {
    let now = Date.now();
    const server = createSyncServer({ store: memoryServerStore(), now: () => now, tombstoneHorizonMs: HORIZON_MS, gcIntervalMs: 0 });
    const here = tabsWorld({ server });
    const elsewhere = tabsWorld({ server }); // another device of the user
    worlds = [here, elsewhere];
    const [tab, other] = [here.open(), here.open()];
    const device = elsewhere.open();
    const heard: ResetEvent[][] = [[], []];
    [tab, other].forEach((t, i) => t.on('reset', (event) => heard[i]?.push(event)));

    await device.put('notes', 'gone', 'deleted while this device was away');
    await device.put('notes', 'kept', 'still there');
    await device.syncOnce();
    await tab.syncOnce();
    expect((await tab.list('notes')).map((r) => r.id)).toEqual(['gone', 'kept']);
    const instanceId = await tab.instanceId();

    // Away longer than the horizon: the delete is made, then its tombstone swept.
    await device.delete('notes', 'gone');
    await device.syncOnce();
    await server.collectGarbage(); // notes the time of the latest version (see tombstone-sweep.ts)
    now += HORIZON_MS * 2;
    expect((await server.collectGarbage()).removed).toBe(1);

    const receipt = await other.put('notes', 'mine', 'written before the reset');
    await tab.syncOnce();

    const events = [
      { cause: 'cursor-expired', phase: 'started', instanceId },
      { cause: 'cursor-expired', phase: 'done', instanceId, dropped: 1 },
    ];
    await waitFor('both tabs to hear the reset', () => heard.map((h) => h.length), (n) => n.every((k) => k === 2));
    expect(heard).toEqual([events, events]);
    expect((await other.list('notes')).map((r) => r.id)).toEqual(['kept', 'mine']);
    expect(await other.whenPushed(receipt)).toEqual({ status: 'accepted', seq: receipt.seq });
    expect(await tab.instanceId()).toBe(instanceId);
    await device.syncOnce();
    expect((await device.list('notes')).map((r) => r.id)).toEqual(['kept', 'mine']);
  });

});
