/**
 * Several tabs of one app, in Node: each tab a worker API and a client over a
 * MessageChannel, sharing one (fake) IndexedDB, one lock manager, BroadcastChannel and
 * a server. Exactly one tab syncs; the others' writes still reach the server at once;
 * events reach every tab; the lock hands over when the leader goes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PageChangeEvent as ChangeEvent } from '../../src/worker-api/sync-worker-api.ts';
import type { SyncProgress } from '../../src/protocol/types.ts';
import { waitFor } from '../support/wait.ts';
import { tabsWorld } from './tabs.ts';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import { leaderLockName } from '../../worker/leader-lock.ts';

let world: ReturnType<typeof tabsWorld>;

afterEach(async () => {
  await world?.closeAll();
});

/** Intervals far longer than any test: only nudges and explicit calls make requests. */
const QUIET = { pushIntervalMs: 600_000, pullIntervalMs: 600_000 };

async function serverIds(collective: string): Promise<string[]> {
  const response = await world.server.handlePull({ instanceId: '01890000-0000-7000-8000-0000000000ff', cursor: 0, batchSize: 1000 });
  return response.changes.filter((c) => c.collective === collective).map((c) => c.id).sort();
}

describe('several tabs of one app', () => {
  it('exactly one tab runs the sync loop, and a follower’s write reaches the server at once', async () => {
    world = tabsWorld();
    const [a, b, c] = [world.open({ config: QUIET }), world.open({ config: QUIET }), world.open({ config: QUIET })];
    await Promise.all([a.start(), b.start(), c.start()]);
    await waitFor('one handshake', () => world.count('handshake'), (n) => n === 1);
    const leader = world.requests.find((r) => r.route === 'handshake')?.tab;

    const follower = [a, b, c].find((t) => t.tab !== leader)!;
    await follower.put('notes', 'from-follower', 'hi');
    // The leader pushes it after the follower's nudge, not at the (ten-minute) interval.
    await waitFor('the follower’s write on the server', () => serverIds('notes'), (ids) => ids.includes('from-follower'));
    expect(new Set(world.requests.map((r) => r.tab))).toEqual(new Set([leader]));
    expect(follower.status().running).toBe(true);
  });

  it('every tab hears status, and change for writes in other tabs', async () => {
    world = tabsWorld();
    const a = world.open({ config: QUIET });
    const b = world.open({ config: QUIET });
    await a.ready;
    await b.ready;
    const seenByB: ChangeEvent[] = [];
    b.on('change', (event) => seenByB.push(event));
    await a.start();
    await a.put('notes', 'x', 1);
    await waitFor('b to hear a’s write', () => seenByB.length, (n) => n >= 1);
    expect(seenByB[0]).toMatchObject({ source: 'local', changes: [{ id: 'x', op: 'put', value: 1 }] });
    await waitFor('b to hear the leader’s status', () => b.status().lastSyncedAt, (t) => t !== null);
  });

  it('syncOnce and initialSync in a follower are run by the leader, with progress', async () => {
    world = tabsWorld();
    const seeder = tabsWorld({ server: world.server }).open({ name: `${world.name}-seed` });
    await seeder.putMany(Array.from({ length: 12 }, (_, i) => ({ collective: 'seed', id: `s${i}`, value: i })));
    await seeder.syncOnce();
    await seeder.close();

    const leader = world.open({ config: { ...QUIET, batchSize: 5 } });
    await leader.start();
    await waitFor('the leader’s first pull', () => world.count('pull', leader.tab), (n) => n >= 1);
    world.requests.length = 0;
    const follower = world.open({ config: { ...QUIET, batchSize: 5 } });
    await follower.put('notes', 'f', 1);
    await follower.syncOnce();
    expect(await serverIds('notes')).toContain('f');
    expect(world.count('push', follower.tab) + world.count('pull', follower.tab)).toBe(0);

    const progress: SyncProgress[] = [];
    const final = await follower.initialSync((p) => progress.push(p));
    expect(final.hasMore).toBe(false);
    expect(progress.at(-1)).toEqual(final);
    expect(await follower.list('seed')).toHaveLength(12);
  });

  it('when the leader tab closes, another takes over; no write is lost or pushed twice', async () => {
    world = tabsWorld();
    const tabs = [world.open({ config: QUIET }), world.open({ config: QUIET }), world.open({ config: QUIET })];
    for (const tab of tabs) await tab.start();
    const first = tabs[0]!;
    await waitFor('the first leader’s handshake', () => world.count('handshake', first.tab), (n) => n === 1);
    await first.put('notes', 'before', 1);
    await waitFor('the first write on the server', () => serverIds('notes'), (ids) => ids.includes('before'));

    await first.close();
    const next = tabs[1]!;
    await waitFor('the next tab to lead', () => world.count('handshake', next.tab), (n) => n === 1);
    await tabs[2]!.put('notes', 'after', 2);
    await waitFor('the write after hand-over on the server', () => serverIds('notes'), (ids) => ids.includes('after'));
    expect(world.count('handshake', tabs[2]!.tab)).toBe(0);
    expect(world.pushed).toEqual(['notes/before@1', 'notes/after@2']);
    expect(await serverIds('notes')).toEqual(['after', 'before']);
    await waitFor('nothing pending', () => tabs[2]!.status().pending, (n) => n === 0);
  });

  it('a tab that stops hands the loop to the next tab that wants it', async () => {
    world = tabsWorld();
    const a = world.open({ config: QUIET });
    const b = world.open({ config: QUIET });
    await a.start();
    await b.start();
    await waitFor('a leads', () => world.count('handshake', a.tab), (n) => n === 1);
    await a.stop();
    await waitFor('b leads', () => world.count('handshake', b.tab), (n) => n === 1);
    // a runs no loop of its own any more (its status, like every tab's, shows the
    // leader's, so it says running while b leads).
    expect(world.count('handshake', a.tab)).toBe(1);
    await b.stop();
    expect(world.locks.held(`pulsesync:${world.name}`)).toBe(false);
  });

  it('a forwarded call nobody takes (the leader runs another build) fails TIMEOUT instead of hanging', async () => {
    world = tabsWorld({ workerOptions: { leaderAnswerTimeoutMs: 50 } });
    // A tab of another build holds the lock but listens on another channel.
    let release = (): void => undefined;
    void world.locks.request(`pulsesync:${world.name}`, {}, () => new Promise<void>((resolve) => (release = resolve)));
    const follower = world.open();
    const error = await follower.syncOnce().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expect((error as Error).message).toMatch(/did not take the call.*another app version/);
    release();
    // With the lock free again the call runs here.
    await follower.put('notes', 'late', 1);
    await follower.syncOnce();
    expect(await serverIds('notes')).toContain('late');
  });

  it('a tab that takes over and is refused for good frees the lock instead of sitting on it', async () => {
    let refuse = false;
    world = tabsWorld({
      transport: (inner) => ({
        ...inner,
        handshake: async (request) => {
          if (refuse) throw new SyncError(ErrorCode.UNAUTHORIZED, 'token revoked');
          return inner.handshake(request);
        },
      }),
    });
    const [a, b] = [world.open({ config: QUIET }), world.open({ config: QUIET })];
    await a.start();
    await b.start();
    refuse = true;
    await a.close(); // b takes over, and its handshake is refused
    await waitFor('b to show the refusal', () => b.status(), (s) => s.state === 'error' && s.error?.code === 'UNAUTHORIZED');
    await waitFor('the lock to be free', () => world.locks.held(leaderLockName(world.name)), (held) => !held);
    expect(b.status().running).toBe(false);
  });
});
