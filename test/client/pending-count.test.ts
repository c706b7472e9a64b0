/**
 * One pending count per tab, with one owner: the leading tab's engine shows the count
 * its worker keeps, so a local write is counted once — not once by the engine and again
 * by the worker, with a recount when the two disagree.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openReplica } from '../../src/store/idb-replica.ts';
import { waitFor } from '../support/wait.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;
let openPushes = (): void => undefined;

afterEach(async () => {
  openPushes();
  vi.restoreAllMocks();
  await world?.closeAll();
});

describe('the pending count of a leading tab', () => {
  it('counts a local write once, by adding it: no read', async () => {
    const pushes = new Promise<void>((resolve) => (openPushes = resolve));
    // Pushes wait: the count after a push is not part of this story.
    world = tabsWorld({ transport: (inner) => ({ ...inner, push: async (request) => (await pushes, inner.push(request)) }) });
    const probe = await openReplica({ name: `${world.name}-probe`, indexedDB: new IDBFactory(), IDBKeyRange });
    const counts = vi.spyOn(Object.getPrototypeOf(probe) as { pendingCount(): Promise<number> }, 'pendingCount');
    probe.close();

    const leader = world.open({ config: { pushIntervalMs: 600_000, pullIntervalMs: 600_000 } });
    await leader.start();
    await waitFor('the first sync', () => leader.status(), (s) => s.lastSyncedAt !== null && s.state === 'idle');
    const before = counts.mock.calls.length;
    await leader.put('notes', 'a', 1);
    await waitFor('one pending change', () => leader.status().pending, (n) => n === 1);
    await leader.list('notes'); // one more round trip to the worker: every reaction to the write has begun
    expect(counts.mock.calls.length - before).toBe(0);
  });
});
