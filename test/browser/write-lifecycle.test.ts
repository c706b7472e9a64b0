/**
 * The life of a write and of a replica in every engine (issue 12, items 1–3), against
 * the real `pulsesync-server`: a receipt made in one tab, kept across a reload of that
 * tab, settles with the server's verdict (accepted, refused as too large, local-only);
 * clearing local data with two tabs open resets both (no `DATABASE_CLOSED`); and two
 * users in turn on one browser, one database name each, never see each other's data.
 */
import { describe, expect, it } from 'vitest';
import type { EnginePage as Page } from '../../tools/browser-engine.ts';
import { useBrowserHarness } from '../support/browser-harness.ts';
import { engines } from '../support/engines.ts';
import { serverRecords } from '../support/server-records.ts';
import { waitFor } from '../support/wait.ts';
import type { PageClientOptions } from './pages/client-api.ts';
import './pages/client-api.ts';

/** Quick loops: catching up after a reload or a clear takes a blink. */
const CONFIG = { pushIntervalMs: 200, pullIntervalMs: 200, retry: { initialDelayMs: 100, maxDelayMs: 1_000 } } as const;

async function ids(page: Page, name: string, collective: string): Promise<string[]> {
  const records = await page.evaluate(([n, c]) => window.pulse.list(n, c), [name, collective] as const);
  return records.map((r) => r.id).sort();
}

describe.each(engines)('the life of a write and of a replica in %s', (engine) => {
  const h = useBrowserHarness(engine);
  const options = (name: string, url: string, extra: Partial<PageClientOptions['config']> = {}): PageClientOptions => ({
    name,
    url,
    token: h.server.token,
    config: { ...CONFIG, ...extra },
  });

  it('a receipt made before a reload settles after it, accepted or refused with the reason, told to every tab', async () => {
    const name = `receipts-${Date.now()}`;
    const device = await h.newDevice();
    const { page } = device;
    const other = await device.openPage();
    const config = { collectives: ['notes', 'private-notes'] as string[] };
    for (const tab of [page, other]) await tab.evaluate((o) => window.pulse.open(o), options(name, device.serverUrl, config));
    // Nothing syncs yet: the writes wait in the replica.
    const accepted = await page.evaluate((n) => window.pulse.put(n, 'notes', 'small', { text: 'fits' }), name);
    const tooLarge = await page.evaluate((n) => window.pulse.put(n, 'notes', 'huge', { text: 'x'.repeat(1_100_000) }), name);
    const localOnly = await page.evaluate((n) => window.pulse.put(n, 'diary', 'mine', 'never leaves'), name);
    expect(await page.evaluate((n) => window.pulse.pendingIds(n, 'notes'), name)).toEqual(['huge', 'small']);

    await h.reload(page); // the receipts live on in the test, as in an app's own storage
    await page.evaluate((o) => window.pulse.open(o), options(name, device.serverUrl, config));
    const settled = page.evaluate(([n, receipts]) => Promise.all(receipts.map((r) => window.pulse.whenPushed(n, r))), [name, [accepted, tooLarge, localOnly]] as const);
    await other.evaluate((n) => window.pulse.start(n), name); // the other tab leads and pushes
    const [a, b, c] = await settled;
    expect(a).toEqual({ status: 'accepted', seq: accepted.seq });
    expect(b).toMatchObject({ status: 'refused', refusals: [{ reason: 'PAYLOAD_TOO_LARGE', id: 'huge' }] });
    // The diary is outside this client's collectives: never sent, and told so.
    expect(c).toMatchObject({ status: 'refused', refusals: [{ reason: 'LOCAL_ONLY', collective: 'diary' }] });
    expect([...(await serverRecords(h.server, 'notes')).keys()]).toEqual(['small']);
    // Both tabs heard the acknowledgement of all three.
    for (const tab of [page, other]) {
      await waitFor('the ack events', () => tab.evaluate((n) => window.pulse.events(n).acks, name), (acks) => Math.max(0, ...acks.map((x) => x.upTo)) >= localOnly.seq);
    }
    expect(await page.evaluate((n) => window.pulse.pending(n), name)).toEqual([]);
    expect(await h.pageErrors(page)).toEqual([]);
    for (const tab of [page, other]) await tab.evaluate((n) => window.pulse.close(n), name);
  }, 90_000);

  it('clearLocalData with two tabs open: both reopen empty with a reset event, and sync carries on', async () => {
    const name = `clear-${Date.now()}`;
    const device = await h.newDevice();
    const leader = device.page;
    const clearer = await device.openPage();
    for (const tab of [leader, clearer]) await tab.evaluate((o) => window.pulse.open(o), options(name, device.serverUrl));
    await leader.evaluate((n) => window.pulse.start(n), name);
    await clearer.evaluate((n) => window.pulse.put(n, 'notes', 'synced', 1), name);
    await waitFor('pushed', () => leader.evaluate((n) => window.pulse.status(n), name), (s) => s.pending === 0 && s.cursors !== undefined && s.cursors.push >= 1);
    const before = await clearer.evaluate((n) => window.pulse.instanceId(n), name);
    await leader.evaluate((n) => window.pulse.stop(n), name);
    await clearer.evaluate((n) => window.pulse.put(n, 'notes', 'unsynced', 2), name);

    const refused = await clearer.evaluate((n) => window.pulse.clearLocalData(n).then(() => 'cleared', (e: Error) => e.message), name);
    expect(refused).toMatch(/^\[PENDING_WRITES\]/);
    await clearer.evaluate((n) => window.pulse.clearLocalData(n, { discardPending: true }), name);

    for (const tab of [leader, clearer]) {
      await waitFor('a reset in each tab', () => tab.evaluate((n) => window.pulse.events(n).resets, name), (r) => r.length === 1);
    }
    const after = await leader.evaluate((n) => window.pulse.instanceId(n), name);
    expect(after).not.toBe(before);
    expect(await clearer.evaluate((n) => window.pulse.instanceId(n), name)).toBe(after);
    expect(await ids(leader, name, 'notes')).toEqual([]); // not syncing: empty, and stays so
    expect(await ids(clearer, name, 'notes')).toEqual([]);
    // Sync carries on in the new replica: the server's data comes back, 'unsynced' never.
    await leader.evaluate((n) => window.pulse.start(n), name);
    const back = await waitFor('the server’s data back', () => ids(clearer, name, 'notes'), (list) => list.includes('synced'));
    expect(back).not.toContain('unsynced');
    for (const tab of [leader, clearer]) {
      const errors = await tab.evaluate((n) => window.pulse.events(n).errors, name);
      expect(errors.filter((e) => e.code === 'DATABASE_CLOSED')).toEqual([]);
      expect(await h.pageErrors(tab)).toEqual([]);
    }
    for (const tab of [leader, clearer]) await tab.evaluate((n) => window.pulse.close(n), name);
  }, 90_000);

  it('two users in turn on one browser, one database name each: neither sees the other’s data', async () => {
    // The README pattern: the database is named after the user, and logging out clears it.
    const { page, serverUrl } = await h.newDevice();
    const stamp = Date.now();
    const login = async (user: string): Promise<string> => {
      const name = `app-${user}-${stamp}`;
      await page.evaluate((o) => window.pulse.open(o), options(name, serverUrl, { collectives: [`notes-${user}-${stamp}`] }));
      await page.evaluate((n) => window.pulse.start(n), name);
      return name;
    };
    /** Writes as the user and waits until the server has it (its receipt says so). */
    const write = async (name: string, collective: string, id: string, value: string): Promise<void> => {
      const receipt = await page.evaluate(([n, c, i, v]) => window.pulse.put(n, c, i, v), [name, collective, id, value] as const);
      expect(await page.evaluate(([n, r]) => window.pulse.whenPushed(n, r), [name, receipt] as const)).toMatchObject({ status: 'accepted' });
    };
    const logout = async (name: string): Promise<void> => {
      // Nothing waits (every write was awaited): the clear goes through without discarding.
      await page.evaluate((n) => window.pulse.clearLocalData(n), name);
      await page.evaluate((n) => window.pulse.close(n), name);
      await page.evaluate((n) => window.pulse.deleteDatabase(n), name); // the emptied replica goes too
    };
    const alice = `notes-alice-${stamp}`;
    const bob = `notes-bob-${stamp}`;

    const aliceDb = await login('alice');
    await write(aliceDb, alice, 'a1', 'alice’s secret');
    await logout(aliceDb);
    expect(await page.evaluate(() => window.pulse.databases())).not.toContain(aliceDb);

    const bobDb = await login('bob');
    expect(await ids(page, bobDb, alice)).toEqual([]);
    await write(bobDb, bob, 'b1', 'bob’s secret');
    expect((await serverRecords(h.server, bob)).has('b1')).toBe(true);
    expect(await ids(page, bobDb, alice)).toEqual([]);
    await logout(bobDb);

    const aliceAgain = await login('alice');
    await waitFor('alice’s data back from the server', () => ids(page, aliceAgain, alice), (list) => list.join() === 'a1');
    expect(await ids(page, aliceAgain, bob)).toEqual([]);
    expect(await page.evaluate(() => window.pulse.databases())).not.toContain(bobDb);
    expect(await h.pageErrors(page)).toEqual([]);
    await page.evaluate((n) => window.pulse.close(n), aliceAgain);
  }, 90_000);
});
