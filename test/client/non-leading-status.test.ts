/**
 * What `status()` says in a tab that does not lead: a follower, or a tab that never
 * started sync. Its `pending` is the replica's real count of changes waiting to be
 * pushed (all tabs share one change log), and once the leader is gone — its lock
 * freed, even by a crash — it says `idle`, not the dead leader's last `syncing`.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SyncStatus } from '../../src/protocol/types.ts';
import { openReplica } from '../../src/store/idb-replica.ts';
import { waitFor } from '../support/wait.ts';
import { crashableTab } from './crashable-tab.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;
const gates: (() => void)[] = [];

afterEach(async () => {
  for (const open of gates.splice(0)) open();
  vi.restoreAllMocks();
  await world?.closeAll();
});

/** Intervals far longer than any test: only nudges and explicit calls make requests. */
const QUIET = { pushIntervalMs: 600_000, pullIntervalMs: 600_000 };

/** A promise the test opens (and afterEach opens anyway, so nothing hangs). */
function gate(): { readonly closed: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const closed = new Promise<void>((resolve) => (open = resolve));
  gates.push(open);
  return { closed, open };
}

describe('status in a tab that does not lead', () => {
  it('a tab that never started counts the replica’s pending changes, one count for a burst of writes', async () => {
    world = tabsWorld();
    const probe = await openReplica({ name: `${world.name}-probe`, indexedDB: new IDBFactory(), IDBKeyRange });
    const counts = vi.spyOn(Object.getPrototypeOf(probe) as { pendingCount(): Promise<number> }, 'pendingCount');
    probe.close();

    const tab = world.open({ config: QUIET });
    await tab.ready;
    const seen: SyncStatus[] = [];
    tab.on('status', (status) => seen.push(status));
    const before = counts.mock.calls.length;
    await Promise.all(Array.from({ length: 40 }, (_, i) => tab.put('notes', `n${i}`, i)));

    await waitFor('status() to count 40 pending', () => tab.status().pending, (n) => n === 40);
    expect(seen.at(-1)).toMatchObject({ state: 'idle', running: false, pending: 40 });
    // Counts run one at a time and writes made meanwhile share the next: not one per write.
    expect(counts.mock.calls.length - before).toBeLessThan(10);
  });

  it('a follower and the leader count writes the leader has not pushed yet, and both see the push clear them', async () => {
    const pushes = gate();
    world = tabsWorld({
      // The leader's pushes wait until the test lets them through.
      transport: (inner, tab) => (tab === 1 ? { ...inner, push: async (request) => (await pushes.closed, inner.push(request)) } : inner),
    });
    const leader = world.open({ config: QUIET });
    await leader.start();
    const follower = world.open({ config: QUIET });
    await follower.start();

    await follower.put('notes', 'a', 1);
    await follower.put('notes', 'b', 2);
    await waitFor('the follower to count 2 pending', () => follower.status().pending, (n) => n === 2);
    await waitFor('the leader to count 2 pending', () => leader.status().pending, (n) => n === 2);
    expect(follower.status().running).toBe(true);

    pushes.open();
    await waitFor('the follower to see nothing pending', () => follower.status().pending, (n) => n === 0);
    await waitFor('the leader to see nothing pending', () => leader.status().pending, (n) => n === 0);
  });

  it('when the leader crashes mid-sync, a tab that never started says idle; a new leader is heard again', async () => {
    const pulls = gate();
    world = tabsWorld({
      // The first leader's pulls never finish: it is `syncing` when it dies.
      transport: (inner, tab) => (tab === 1 ? { ...inner, pull: async (request) => (await pulls.closed, inner.pull(request)) } : inner),
    });
    const doomed = crashableTab(world.locks);
    const leader = world.open({ config: QUIET }, { locks: doomed.locks, broadcastChannel: doomed.broadcastChannel });
    await leader.start();
    const watcher = world.open({ config: QUIET });
    await waitFor('the watcher to hear the leader syncing', () => watcher.status(), (s) => s.state === 'syncing' && s.running);

    doomed.crash();
    const after = await waitFor('the watcher to say nobody syncs', () => watcher.status(), (s) => s.state === 'idle');
    expect(after.running).toBe(false);
    expect(after.error).toBeUndefined();

    // Another tab takes the lead: the watcher hears it, and hears when it stops too.
    const next = world.open({ config: QUIET });
    await next.start();
    await waitFor('the watcher to hear the new leader', () => watcher.status(), (s) => s.running && s.lastSyncedAt !== null);
    await next.stop();
    await waitFor('the watcher to hear the new leader stop', () => watcher.status(), (s) => !s.running && s.state === 'idle');
    expect(world.locks.held(`pulsesync:${world.name}`)).toBe(false);
  });
});
