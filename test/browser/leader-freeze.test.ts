/**
 * A leader that freezes does not freeze sync (issue 12, item 5), in real Chromium: two
 * tabs of one device, the leader's worker paused in the debugger in the middle of a
 * catch-up (tools/chromium-worker-pause.ts says why the debugger and not
 * `Page.setWebLifecycleState`). The other tab takes over once the leader has been
 * silent for the bound (the default 10 s), pushes the writes made meanwhile and pulls
 * what changed; the old leader, resumed, sends nothing more and queues again, and its
 * stale answers are not written. Each tab reaches the server through its own counting
 * proxy, so the server's side says which tab sent what and when.
 *
 * Chromium only: pausing one worker is a DevTools command; Firefox over BiDi and WebKit
 * over WebDriver classic offer no way to stop a worker and let it go on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../src/protocol/types.ts';
import type { EnginePage as Page } from '../../tools/browser-engine.ts';
import { playwrightPageOf } from '../../tools/chromium.ts';
import { pauseWorker } from '../../tools/chromium-worker-pause.ts';
import { DEFAULT_LEADER_SILENCE_MS } from '../../worker/worker-options.ts';
import { useBrowserHarness } from '../support/browser-harness.ts';
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy.ts';
import { engines } from '../support/engines.ts';
import { serverRecords } from '../support/server-records.ts';
import { waitFor } from '../support/wait.ts';
import './pages/client-api.ts';

/** Records on the server when the leader starts its catch-up: 50 pulls of 100. */
const RECORDS = 5_000;
/** Intervals beyond the test: requests come from start, writes and pokes only. */
const CONFIG = { pushIntervalMs: 600_000, pullIntervalMs: 600_000, batchSize: 100 } as const;
const SYNC_ROUTES = new Set(['handshake', 'push', 'pull', 'live']);

/** The Web Locks view of a lock, from any page of the origin. */
function lockState(page: Page, lockName: string): Promise<{ holder: string | undefined; waiting: string[] }> {
  return page.evaluate(async (name) => {
    const { held = [], pending = [] } = await navigator.locks.query();
    return {
      holder: held.find((lock) => lock.name === name)?.clientId,
      waiting: pending.filter((lock) => lock.name === name).map((lock) => lock.clientId ?? ''),
    };
  }, lockName);
}

describe.runIf(engines.includes('chromium'))('a leader frozen in chromium (pausing one worker is a DevTools command)', () => {
  const h = useBrowserHarness('chromium');
  /** One proxy per tab in front of the server. */
  const proxies: CountingProxy[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) proxies.push(await startCountingProxy(h.server.directUrl));
  });
  afterAll(async () => {
    for (const proxy of proxies) await proxy.close();
  });

  it('another tab takes over within the bound; the old leader, resumed, sends and writes nothing', async () => {
    const name = `leader-freeze-${Date.now()}`;
    const lockName = `pulsesync:${name}`;
    const direct = { url: h.server.directUrl, token: h.server.token };
    const [leaderProxy, followerProxy] = proxies as [CountingProxy, CountingProxy];

    // Another device puts the records on the server (value v: 1).
    const writer = await h.newDevice();
    const writerName = `${name}-writer`;
    await writer.page.evaluate((o) => window.pulse.open(o), { name: writerName, url: h.server.directUrl, token: h.server.token, config: CONFIG });
    const put = async (v: number): Promise<void> => {
      await writer.page.evaluate(
        ([n, count, version]) =>
          window.pulse.putMany(n, Array.from({ length: count }, (_, i) => ({ collective: 'notes', id: `r${String(i).padStart(7, '0')}`, value: { n: i, v: version } }))),
        [writerName, RECORDS, v] as const,
      );
      await writer.page.evaluate((n) => window.pulse.syncOnce(n), writerName);
    };
    await put(1);

    // Two tabs, each through its own proxy. The first leads and starts its catch-up.
    const device = await h.newDevice();
    const leader = device.page;
    const follower = await device.openPage();
    await leader.evaluate((o) => window.pulse.open(o), { name, url: leaderProxy.url, token: h.server.token, config: CONFIG });
    await follower.evaluate((o) => window.pulse.open(o), { name, url: followerProxy.url, token: h.server.token, config: CONFIG });
    const thirdPull = leaderProxy.holdNext('pull', 2);
    await leader.evaluate((n) => window.pulse.start(n), name);
    await follower.evaluate((n) => window.pulse.start(n), name);
    const { holder: leaderWorker } = await lockState(follower, lockName);
    expect(leaderWorker).toBeDefined();

    // Mid-catch-up, the leader's worker freezes: while it waits for its third page, once
    // the second is applied, so that no transaction of it is open (`pauseWorker` says why).
    await waitFor('the leader’s third pull held', () => leaderProxy.count('pull'), (n) => n >= 3, { timeoutMs: 60_000, everyMs: 20 });
    await thirdPull.arrived; // counted as it arrives, held in the same turn
    // Its second page committed (its rows readable), its worker waits on the held pull.
    await waitFor('the leader’s second page applied', () => leader.evaluate((n) => window.pulse.list(n, 'notes'), name), (records) => records.length === 2 * CONFIG.batchSize);
    const paused = await pauseWorker(playwrightPageOf(leader).context().browser()!, leaderWorker!, thirdPull.release);
    const pullsAtPause = leaderProxy.count('pull');
    expect(pullsAtPause).toBeLessThan(RECORDS / CONFIG.batchSize); // not done: frozen mid-sync

    // While it is frozen: every record changes on the server (v: 2), and the follower writes.
    await put(2);
    for (let i = 0; i < 10; i++) await follower.evaluate(([n, id]) => window.pulse.put(n, 'notes', id, { from: 'follower' }), [name, `f${i}`] as const);

    // The follower takes over after the bound, and syncs all of it.
    await waitFor('the follower’s handshake', () => followerProxy.count('handshake'), (n) => n >= 1, { timeoutMs: 4 * DEFAULT_LEADER_SILENCE_MS, everyMs: 20 });
    const takeoverMs = (followerProxy.requests().find((r) => r.route === 'handshake')?.at ?? Number.NaN) - paused.pausedAt;
    console.log(`takeover: the follower shook hands ${takeoverMs} ms after the leader's worker was paused (bound ${DEFAULT_LEADER_SILENCE_MS} ms)`);
    expect((await lockState(follower, lockName)).holder).not.toBe(leaderWorker);
    const onServer = await waitFor('the follower’s writes on the server', () => serverRecords(direct, 'notes'), (r) => r.has('f9'));
    expect([...onServer.keys()].filter((id) => id.startsWith('f'))).toHaveLength(10);
    await waitFor(
      'every record at v: 2 in the replica',
      () => follower.evaluate((n) => window.pulse.list(n, 'notes'), name),
      (records) => records.filter((r) => (r.value as { v?: number }).v === 2).length === RECORDS,
      { timeoutMs: 60_000, everyMs: 500 },
    );
    // Frozen means frozen: the paused worker sent nothing after its last request in flight.
    expect(leaderProxy.requests().filter((r) => r.at > paused.pausedAt + 1_000)).toEqual([]);

    // The old leader resumes: it finds the lock gone, sends nothing, and queues again.
    const resumedAt = Date.now();
    await paused.resume();
    await waitFor('the old leader back in line', () => lockState(follower, lockName), (s) => s.waiting.includes(leaderWorker!));
    // The new leader keeps syncing: a write and a cycle, time for the old one to misbehave.
    await leader.evaluate(([n]) => window.pulse.put(n, 'notes', 'from-old-leader-tab', 1), [name] as const);
    await waitFor('the old leader’s tab write, pushed by the new leader', () => serverRecords(direct, 'notes'), (r) => r.has('from-old-leader-tab'));
    await follower.evaluate((n) => window.pulse.syncOnce(n), name);
    await waitFor(
      'the old leader’s tab showing the new leader’s status',
      () => leader.evaluate((n) => window.pulse.status(n), name),
      (s: SyncStatus) => s.running && s.pending === 0 && s.state !== 'error',
    );

    const afterResume = leaderProxy.requests().filter((r) => r.at >= resumedAt && SYNC_ROUTES.has(r.route));
    console.log(
      `requests by tab: leader ${JSON.stringify(routeCounts(leaderProxy))} (after resume: ${afterResume.length}), follower ${JSON.stringify(routeCounts(followerProxy))}`,
    );
    expect(afterResume).toEqual([]);
    // Its stale answers were not written: the replica holds v: 2 everywhere, the follower's writes, and nothing else.
    const records = await leader.evaluate((n) => window.pulse.list(n, 'notes'), name);
    expect(records.filter((r) => r.id.startsWith('r') && (r.value as { v?: number }).v !== 2)).toEqual([]);
    expect(records).toHaveLength(RECORDS + 11);
    expect((await lockState(follower, lockName)).holder).not.toBe(leaderWorker);
    for (const tab of [leader, follower]) {
      expect(await h.pageErrors(tab)).toEqual([]);
      expect(await tab.evaluate((n) => window.pulse.events(n).errors, name)).toEqual([]); // stepping down is no error
    }
    for (const tab of [leader, follower]) await tab.evaluate((n) => window.pulse.close(n), name);
    await writer.page.evaluate((n) => window.pulse.close(n), writerName);
  }, 180_000);
});

/** Requests per sync route through `proxy` (CORS preflights not counted). */
function routeCounts(proxy: CountingProxy): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const route of SYNC_ROUTES) counts[route] = proxy.count(route);
  return counts;
}
