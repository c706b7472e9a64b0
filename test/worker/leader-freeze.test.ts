/**
 * A leader that freezes does not freeze sync (issue 12, item 5), in Node: the workers
 * of several "tabs" over one fake IndexedDB, a lock manager that can steal and one fake
 * clock (test/worker/frozen-tabs.ts). A tab in line takes over once the leader has
 * been silent for the bound; the old leader, woken, sends and writes nothing and queues
 * again; a leader merely slow, or alone, keeps its lock. Time moves only when a test
 * moves it: nothing here sleeps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type { SyncErrorData } from '../../src/protocol/errors.ts';
import { DEFAULT_LEADER_SILENCE_MS } from '../../worker/worker-options.ts';
import { waitFor } from '../support/wait.ts';
import { frozenTabs } from './frozen-tabs.ts';

const SILENCE = DEFAULT_LEADER_SILENCE_MS;

let device: ReturnType<typeof frozenTabs> | undefined;

afterEach(async () => {
  await device?.closeAll();
  device = undefined;
});

/** A device with `count` tabs open, the first leading, the others started and in line. */
async function leaderAndFollowers(count: number) {
  const d = frozenTabs();
  device = d;
  const tabs = Array.from({ length: count }, () => d.open());
  await Promise.all(tabs.map((tab) => tab.ready));
  for (const tab of tabs) await tab.start();
  await d.clocks.advance(0);
  expect(d.locks.holder(d.lockName)).toBe('1');
  return { d, tabs };
}

/** Advances the clock so that the leader (tab 1) has just beaten; returns that time. */
async function justAfterABeat(d: ReturnType<typeof frozenTabs>): Promise<number> {
  const next = Math.min(...d.clocks.pending('1'));
  await d.clocks.advance(next);
  return d.clocks.now;
}

describe('a leader that freezes', () => {
  it('is replaced within the bound; woken, it sends and writes nothing, and queues again', async () => {
    const { d, tabs } = await leaderAndFollowers(2);
    const [leader, follower] = tabs as [(typeof tabs)[number], (typeof tabs)[number]];
    const errors: SyncErrorData[] = [];
    for (const tab of tabs) tab.on('error', (error) => errors.push(error));
    await d.writer.put('notes', 'n1', 'first');
    await d.writer.syncOnce();

    // Mid-sync: the leader's pull is answered just as its page freezes.
    await justAfterABeat(d);
    d.freeze(1);
    const frozenAt = d.clocks.now;
    const leaderCall = leader.syncOnce().then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await waitFor('the leader’s answer, held by the freeze', () => d.heldAnswers.length, (n) => n === 1);
    expect(d.heldAnswers[0]?.response.changes.map((c) => c.value)).toEqual(['first']);

    // Meanwhile the record changes on the server and the follower writes locally.
    await d.writer.put('notes', 'n1', 'second');
    await d.writer.syncOnce();
    await follower.put('notes', 'f1', 'written during the freeze');

    // The follower hears no beat for the bound, steals the lock and syncs.
    const takeover = await d.advanceUntil(() => d.locks.holder(d.lockName) === '2', 3 * SILENCE);
    console.log(`takeover ${takeover} ms (fake time) after the leader froze; bound ${SILENCE} ms`);
    expect(d.locks.holder(d.lockName)).toBe('2');
    // At most the bound and its jitter after the last beat, which came just before the freeze.
    expect(takeover).toBeLessThanOrEqual(SILENCE * 1.125 + 100);
    await waitFor('the new leader’s push', () => d.requestsOf(2, frozenAt).filter((r) => r.operation === 'push').length, (n) => n >= 1);
    await d.writer.syncOnce();
    await waitFor('the write made during the freeze, on the server', async () => (await d.writer.get('notes', 'f1'))?.value, (v) => v !== undefined);
    await waitFor('the newer record pulled by the new leader', async () => (await follower.get('notes', 'n1'))?.value, (v) => v === 'second');

    // The old leader wakes: its stale answer first, then the news of the steal, then its timers.
    const wokeAt = d.clocks.now;
    await d.wake(1);
    await waitFor('the old leader back in line', () => d.locks.waiting(d.lockName), (line) => line.includes('1'));
    await d.clocks.advance(2 * SILENCE); // time enough for anything it might still do

    expect(d.requestsOf(1, wokeAt)).toEqual([]);
    // Its syncOnce, cut short by the fence, says why.
    expect(await leaderCall).toMatchObject({ code: ErrorCode.SHUTDOWN });
    expect((await leader.get('notes', 'n1'))?.value).toBe('second'); // its stale batch was not written
    expect(d.locks.holder(d.lockName)).toBe('2');
    // The replica goes on from where the new leader left it.
    await d.writer.put('notes', 'n2', 'later');
    await d.writer.syncOnce();
    await follower.syncOnce();
    expect((await leader.list('notes')).map((r) => [r.id, r.value])).toEqual([
      ['f1', 'written during the freeze'],
      ['n1', 'second'],
      ['n2', 'later'],
    ]);
    expect(errors).toEqual([]); // stepping down is not an error, in either tab
    // And the old leader takes over again once the new one goes.
    await follower.close();
    await waitFor('the lock back with the old leader', () => d.locks.holder(d.lockName), (holder) => holder === '1');
  });

  it('that is merely slow, within the bound, keeps the lock', async () => {
    const { d } = await leaderAndFollowers(2);
    const since = await justAfterABeat(d);
    d.freeze(1);
    await d.clocks.advance(SILENCE * 0.9);
    await d.wake(1); // its late tick beats at once
    await d.clocks.advance(3 * SILENCE);
    expect(d.locks.holder(d.lockName)).toBe('1');
    expect(d.requestsOf(2, since)).toEqual([]);
  });

  it('with nobody in line, takes the lock again on waking and syncs on', async () => {
    const d = frozenTabs();
    device = d;
    const leader = d.open();
    await leader.start();
    await d.clocks.advance(1);
    const since = d.clocks.now;
    d.freeze(1);
    await d.clocks.advance(5 * SILENCE);
    await d.wake(1);
    // Its late tick ended the term (it might have been replaced); nobody else wanted the
    // lock, so a new term began at once: one handshake, and it beats again.
    await waitFor('a new term', () => d.requestsOf(1, since).map((r) => r.operation), (ops) => ops.includes('handshake'));
    expect(d.locks.holder(d.lockName)).toBe('1');
    expect(d.clocks.pending('1')).toContain(SILENCE / 4);
    await d.writer.put('notes', 'w1', 'after the freeze');
    await d.writer.syncOnce();
    await leader.syncOnce();
    expect((await leader.get('notes', 'w1'))?.value).toBe('after the freeze');
    expect(d.requestsOf(1, since).filter((r) => r.operation === 'handshake')).toHaveLength(1);
  });
});

describe('the heartbeat', () => {
  it('keeps an idle device quiet: no request and no status event in a minute', async () => {
    const { d, tabs } = await leaderAndFollowers(2);
    await d.clocks.advance(SILENCE);
    const since = d.clocks.now;
    const statuses: unknown[] = [];
    for (const tab of tabs) tab.on('status', (status) => statuses.push(status));
    await d.clocks.advance(60_000);
    expect(d.seen.filter((r) => r.at >= since)).toEqual([]);
    expect(statuses).toEqual([]);
    expect(d.locks.holder(d.lockName)).toBe('1');
  });
});

describe('the tabs in line', () => {
  it('of two, one takes over; the other hears it and stays in line', async () => {
    const { d } = await leaderAndFollowers(3);
    const since = await justAfterABeat(d);
    d.freeze(1);
    await d.advanceUntil(() => d.locks.holder(d.lockName) !== '1', 3 * SILENCE);
    const leader = d.locks.holder(d.lockName);
    const other = leader === '2' ? '3' : '2';
    await d.clocks.advance(3 * SILENCE);
    expect(d.locks.holder(d.lockName)).toBe(leader);
    expect(d.locks.waiting(d.lockName)).toEqual([other]);
    const handshakes = d.seen.filter((r) => r.at >= since && r.operation === 'handshake').map((r) => String(r.tab));
    expect(handshakes).toEqual([leader]);
  });

  it('a tab that joins the line while the leader is frozen takes over a bound later', async () => {
    const d = frozenTabs();
    device = d;
    const [leader, late] = [d.open(), d.open()];
    await Promise.all([leader.ready, late.ready]);
    await leader.start(); // its first beat reaches the other tab, not yet in line
    await justAfterABeat(d);
    d.freeze(1);
    await d.clocks.advance(SILENCE);
    const joined = d.clocks.now;
    await late.start();
    const waited = await d.advanceUntil(() => d.locks.holder(d.lockName) === '2', 3 * SILENCE);
    expect(d.locks.holder(d.lockName)).toBe('2');
    expect(waited).toBeGreaterThanOrEqual(SILENCE); // a full bound from joining: it heard no beat meanwhile
    expect(d.requestsOf(2, joined).map((r) => r.operation)).toContain('handshake');
  });

  it('never steal from a holder that never beat (a tab of an older build)', async () => {
    const d = frozenTabs();
    device = d;
    let release = (): void => undefined;
    void d.locks.client('old build').request(d.lockName, {}, () => new Promise<void>((resolve) => (release = resolve)));
    const tab = d.open();
    await tab.start();
    await d.clocks.advance(5 * SILENCE);
    expect(d.locks.holder(d.lockName)).toBe('old build');
    expect(d.locks.waiting(d.lockName)).toEqual(['1']);
    release();
    await waitFor('the lock, once the old tab lets go', () => d.locks.holder(d.lockName), (holder) => holder === '1');
  });

  it('do not steal on waking from a freeze of their own while the leader beat on', async () => {
    const { d } = await leaderAndFollowers(2);
    const since = await justAfterABeat(d);
    d.freeze(2);
    await d.clocks.advance(3 * SILENCE);
    await d.wake(2); // its overdue wait fires before it reads the beats it missed
    await d.clocks.advance(3 * SILENCE);
    expect(d.locks.holder(d.lockName)).toBe('1');
    expect(d.requestsOf(2, since)).toEqual([]);
  });
});
