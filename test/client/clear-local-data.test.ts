/**
 * Clearing local data across tabs (issue 12, item 3): the replica is deleted and made
 * anew, every open tab lets go, reopens empty, syncs again if it did, and gets a
 * `reset` event instead of `DATABASE_CLOSED`; a clear that would lose pending writes
 * is refused, and one a frozen tab holds up gives up leaving everything as it was.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, SyncError, type SyncErrorData } from '../../src/protocol/errors.ts';
import type { ResetEvent } from '../../src/engine/types.ts';
import { waitFor } from '../support/wait.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;

afterEach(async () => {
  await world?.closeAll();
});

/** Three tabs of one replica, the first leading; every event they hear recorded; pushes fail while `offline.push`. */
async function threeTabs(offline: { push: boolean }) {
  world = tabsWorld({
    transport: (inner) => ({
      ...inner,
      push: (request) => (offline.push ? Promise.reject(new SyncError(ErrorCode.TRANSPORT, 'unreachable')) : inner.push(request)),
    }),
  });
  const tabs = [world.open(), world.open(), world.open()];
  const resets: ResetEvent[][] = tabs.map(() => []);
  const errors: SyncErrorData[][] = tabs.map(() => []);
  tabs.forEach((tab, i) => {
    tab.on('reset', (r) => resets[i]?.push(r));
    tab.on('error', (e) => errors[i]?.push(e));
  });
  await tabs[0]?.start();
  await tabs[1]?.start(); // waits in line for the lead
  return { tabs: tabs as [(typeof tabs)[0], (typeof tabs)[0], (typeof tabs)[0]], resets, errors };
}

describe('clearLocalData', () => {
  it('refuses PENDING_WRITES while a write waits, and disturbs no tab', async () => {
    world = tabsWorld();
    const [one, two] = [world.open(), world.open()];
    await one.put('notes', 'waiting', 1);
    await expect(two.clearLocalData()).rejects.toMatchObject({ code: 'PENDING_WRITES', details: { pending: 1 } });
    expect((await one.list('notes')).map((r) => r.id)).toEqual(['waiting']);
    expect(await one.instanceId()).toBe(await two.instanceId());
  });

  it('deletes the replica in every tab: each reopens empty, hears reset, and sync carries on', async () => {
    const offline = { push: false };
    const { tabs, resets, errors } = await threeTabs(offline);
    const [leader, follower, idle] = tabs;
    await follower.put('notes', 'mine', 'from before');
    await idle.put('notes', 'yours', 'from before too');
    await waitFor('the writes pushed', () => leader.status().pending, (n) => n === 0);
    const before = await leader.instanceId();
    offline.push = true; // a write now stays local
    const unsynced = await idle.put('notes', 'unsynced', 'lost on purpose');
    await expect(idle.clearLocalData()).rejects.toMatchObject({ code: 'PENDING_WRITES' });

    await idle.clearLocalData({ discardPending: true });
    offline.push = false;

    // Every tab: a reset with the new identity, which instanceId() now answers.
    await waitFor('every tab reset', () => resets.map((r) => r.length), (n) => n.every((k) => k === 1));
    const after = await idle.instanceId();
    expect(after).not.toBe(before);
    expect(resets.flat()).toEqual(Array.from({ length: 3 }, () => ({ cause: 'local-data-cleared', instanceId: after })));
    for (const tab of tabs) expect(await tab.instanceId()).toBe(after);
    // The unpushed write is gone, and its receipt unknown; the tabs that synced sync again
    // and pull the server's data back into the new replica.
    expect(await idle.pending()).toEqual([]);
    expect(await idle.whenPushed(unsynced)).toEqual({ status: 'unknown', seq: unsynced.seq });
    await waitFor('the server’s data back in every tab', () => Promise.all(tabs.map((t) => t.list('notes'))), (lists) =>
      lists.every((r) => r.map((x) => x.id).sort().join() === 'mine,yours'),
    );
    await waitFor('a leader again', () => leader.status(), (s) => s.running && s.state === 'idle');
    // Writes go on in the new replica, and reach the server through the new leader.
    const receipt = await leader.put('notes', 'after', 'new life');
    expect(await leader.whenPushed(receipt)).toEqual({ status: 'accepted', seq: 1 });
    expect(errors.flat().filter((e) => e.code === 'DATABASE_CLOSED')).toEqual([]);
  });

  it('gives up DATABASE_BLOCKED when a tab does not let go (a frozen tab), leaving everything as it was', async () => {
    world = tabsWorld({ workerOptions: { clearTimeoutMs: 300 } });
    const clearer = world.open();
    // A tab that never hears the others (as if frozen): it keeps the database open.
    const frozen = world.open({}, { broadcastChannel: () => ({ postMessage: () => undefined, addEventListener: () => undefined, close: () => undefined }) });
    await frozen.put('notes', 'kept', 1);
    await frozen.syncOnce();
    const before = await clearer.instanceId();
    await expect(clearer.clearLocalData()).rejects.toMatchObject({ code: 'DATABASE_BLOCKED' });
    expect(await clearer.instanceId()).toBe(before);
    expect((await clearer.list('notes')).map((r) => r.id)).toEqual(['kept']);
    expect((await frozen.list('notes')).map((r) => r.id)).toEqual(['kept']);
    await clearer.put('notes', 'still-writable', 2);
    expect((await frozen.list('notes')).map((r) => r.id)).toEqual(['kept', 'still-writable']);
  });
});
