/**
 * Per-write acknowledgement through the client (issue 12, item 1): a write's receipt
 * settles once the server has dealt with it, accepted or refused with its reason; in
 * the tab that wrote while another tab leads, and after a "reload" (the receipt kept,
 * the tab closed, a new one opened); every tab hears the `ack` events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AckEvent } from '../../src/engine/acks.ts';
import { collectiveAccess } from '../../src/server/access.ts';
import { waitFor } from '../support/wait.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;

afterEach(async () => {
  await world?.closeAll();
});

/** Tabs whose user may write `notes` and `todos` but only read `public`. */
function restrictedWorld() {
  return tabsWorld({ access: collectiveAccess('me', { read: ['notes', 'todos', 'public'], write: ['notes', 'todos'] }) });
}

describe('whenPushed', () => {
  it('resolves accepted, or refused with the reason, in the tab that wrote while another tab leads', async () => {
    world = restrictedWorld();
    const leader = world.open();
    const writer = world.open();
    const third = world.open();
    const heard: AckEvent[][] = [[], [], []];
    [leader, writer, third].forEach((tab, i) => tab.on('ack', (ack) => heard[i]?.push(ack)));
    await leader.start();
    await waitFor('the leader’s first sync', () => leader.status().lastSyncedAt, (t) => t !== null);

    const ok = await writer.put('notes', 'a', 1);
    const refused = await writer.put('public', 'p', 2);
    const both = await writer.putMany([
      { collective: 'todos', id: 't', value: 3 },
      { collective: 'public', id: 'q', value: 4 },
    ]);
    expect(ok).toMatchObject({ instanceId: await writer.instanceId(), firstSeq: 1, seq: 1 });
    expect(both).toMatchObject({ firstSeq: 3, seq: 4 });

    expect(await writer.whenPushed(ok)).toEqual({ status: 'accepted', seq: 1 });
    expect(await writer.whenPushed(refused)).toMatchObject({
      status: 'refused',
      seq: 2,
      refusals: [{ seq: 2, collective: 'public', id: 'p', reason: 'FORBIDDEN', message: expect.stringContaining('may not write') }],
    });
    expect(await writer.whenPushed(both)).toMatchObject({ status: 'refused', seq: 4, refusals: [{ seq: 4, id: 'q' }] });

    // Every tab heard the same acknowledgements, up to seq 4.
    await waitFor('every tab to hear seq 4 acknowledged', () => heard.map((acks) => Math.max(0, ...acks.map((a) => a.upTo))), (ups) => ups.every((u) => u === 4));
    const refusals = (acks: AckEvent[]) => acks.flatMap((a) => a.refusals.map((r) => r.seq));
    expect(heard.map(refusals)).toEqual([[2, 4], [2, 4], [2, 4]]);
  });

  it('a receipt made before a reload can be awaited after it, before and after the push', async () => {
    world = restrictedWorld();
    const before = world.open();
    const accepted = await before.put('notes', 'kept', 1);
    const refused = await before.put('public', 'nope', 2);
    await before.close(); // the page reloads: the receipts live on (in the app's own storage, say)

    const after = world.open();
    const settled = Promise.all([after.whenPushed(accepted), after.whenPushed(refused)]);
    await after.start(); // nothing was pushed before the reload: the push comes now
    expect(await settled).toEqual([
      { status: 'accepted', seq: 1 },
      expect.objectContaining({ status: 'refused', refusals: [expect.objectContaining({ reason: 'FORBIDDEN' })] }),
    ]);

    // Long after, in yet another tab: answered from the replica at once.
    await after.close();
    const later = world.open();
    expect(await later.whenPushed(refused)).toMatchObject({ status: 'refused', seq: 2 });
    expect(await later.whenPushed(accepted)).toEqual({ status: 'accepted', seq: 1 });
  });

  it('a waiting receipt fails SHUTDOWN when its client closes', async () => {
    world = tabsWorld();
    const tab = world.open();
    const receipt = await tab.put('notes', 'n', 1); // never pushed: sync is not started
    const failed = expect(tab.whenPushed(receipt)).rejects.toMatchObject({ code: 'SHUTDOWN' });
    await tab.close();
    await failed;
  });
});
