/**
 * What a burst of local writes sends the page besides their answers: each write's
 * `change` event, and the pending count gathered into one status rather than one per
 * write (a status whose only news is the count waits 50 ms for the counts of later
 * writes); and what it sends the other tabs: its changes gathered, in order, 16 ms
 * after the first. The worker's timers are fired by hand here.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../src/protocol/types.ts';
import type { PageChangeEvent as ChangeEvent } from '../../src/worker-api/sync-worker-api.ts';
import { waitFor } from '../support/wait.ts';
import { manualTimers } from './manual-timers.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;

afterEach(async () => {
  await world?.closeAll();
});

describe('statuses of a burst of writes', () => {
  it('a tab that never started hears every write, and their count in one status', async () => {
    const timers = manualTimers();
    world = tabsWorld({ workerOptions: { time: timers } });
    const tab = world.open();
    await tab.ready;
    const statuses: SyncStatus[] = [];
    const changes: ChangeEvent[] = [];
    tab.on('status', (status) => statuses.push(status));
    tab.on('change', (event) => changes.push(event));

    for (let i = 0; i < 100; i++) await tab.put('notes', `n${i}`, i);
    expect(changes).toHaveLength(100);
    expect(statuses).toEqual([]);

    expect(timers.set(50)).toBe(true);
    timers.fire(50);
    await waitFor('the status of the burst', () => statuses.length, (n) => n > 0);
    expect(statuses).toEqual([expect.objectContaining({ state: 'idle', pending: 100 })]);
    expect(tab.status().pending).toBe(100);
  });

  it('another tab hears a burst of writes 16 ms after the first, as one change of all of them in order', async () => {
    const timers = manualTimers();
    world = tabsWorld({ workerOptions: { time: timers } });
    const [writer, other] = [world.open(), world.open()];
    await Promise.all([writer.ready, other.ready]);
    const heard: ChangeEvent[] = [];
    other.on('change', (event) => heard.push(event));

    for (let i = 0; i < 20; i++) await writer.put('notes', `n${i}`, i);
    await writer.delete('notes', 'n3');
    expect(heard).toEqual([]);

    expect(timers.set(16)).toBe(true);
    timers.fire(16);
    await waitFor('the other tab to hear the burst', () => heard.length, (n) => n > 0);
    expect(heard).toHaveLength(1);
    expect(heard[0]!.source).toBe('local');
    expect(heard[0]!.changes.map((c) => `${c.op} ${c.id}`)).toEqual([...Array.from({ length: 20 }, (_, i) => `put n${i}`), 'delete n3']);
  });
});

describe('writes on both sides of a clear', () => {
  it('another tab hears the writes made after a clear, not on the cleared session’s channel', async () => {
    const timers = manualTimers();
    world = tabsWorld({ workerOptions: { time: timers } });
    const [writer, other] = [world.open(), world.open()];
    await Promise.all([writer.ready, other.ready]);
    const heard: string[] = [];
    other.on('change', (event) => heard.push(...event.changes.map((c) => `${c.op} ${c.id}`)));

    // A write's change waits 16 ms for the other tabs; the clear closes its session meanwhile.
    await writer.put('notes', 'before', 1);
    await writer.clearLocalData({ discardPending: true });
    await writer.put('notes', 'after', 2);
    while (timers.set(16)) timers.fire(16);
    await waitFor('the other tab to hear the write after the clear', () => heard, (h) => h.includes('put after'));
    expect(heard.filter((h) => h === 'put after')).toHaveLength(1);
  });
});
