/**
 * Field-level records on two devices in Chromium (issue 14), against the real
 * `pulsesync-server`, through `createSyncClient` given pulsesync's full worker
 * (`startFullWorker`), which has field-level records: edits made offline to different fields of one todo both
 * survive on both devices and the server; an edit of the same field loses on one
 * device, which alone hears a `conflict` saying what it had and what won; and
 * `explain` on that device tells the story.
 */
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/protocol/types.ts';
import type { EnginePage } from '../../tools/browser-engine.ts';
import { useBrowserHarness, type Device } from '../support/browser-harness.ts';
import { engines } from '../support/engines.ts';
import { serverRecords } from '../support/server-records.ts';
import { waitFor } from '../support/wait.ts';
import type { PageClientOptions } from './pages/client-api.ts';
import './pages/client-api.ts';

const TODOS = 'todos';
/** Quick loops, so convergence after reconnecting takes a blink. */
const CONFIG = { conflictResolution: 'field-last-write-wins', pushIntervalMs: 200, pullIntervalMs: 200, retry: { initialDelayMs: 100, maxDelayMs: 1_000 } } as const;

async function todoOn(page: EnginePage, name: string): Promise<JsonValue | undefined> {
  const list = await page.evaluate(([n, c]) => window.pulse.list(n, c), [name, TODOS] as const);
  return list.find((record) => record.id === 't1')?.value;
}

describe.runIf(engines.includes('chromium'))('field-level records on two devices in chromium', () => {
  const h = useBrowserHarness('chromium');

  it('offline edits of different fields both survive; the same field loses on one device, which hears it; explain tells the story', async () => {
    const laptop = await h.newDevice();
    const phone = await h.newDevice();
    const options = (name: string, device: Device): PageClientOptions => ({ name, url: device.serverUrl, token: h.server.token, config: CONFIG, fullWorker: true });
    await laptop.page.evaluate((o) => window.pulse.open(o), options('laptop', laptop));
    await phone.page.evaluate((o) => window.pulse.open(o), options('phone', phone));

    await laptop.page.evaluate(() => window.pulse.put('laptop', 'todos', 't1', { title: 'Call mom', done: false }));
    await laptop.page.evaluate(() => window.pulse.start('laptop'));
    await phone.page.evaluate(() => window.pulse.start('phone'));
    await waitFor('the phone to hold the todo', () => todoOn(phone.page, 'phone'), (value) => value !== undefined);

    await laptop.setOffline(true);
    await phone.setOffline(true);
    // Different fields: the laptop renames, the phone ticks it off.
    await laptop.page.evaluate(() => window.pulse.patch('laptop', 'todos', 't1', { title: 'Call mom on Sunday' }));
    await phone.page.evaluate(() => window.pulse.patch('phone', 'todos', 't1', { done: true }));
    // The same field: the phone's note is the later, so it wins.
    await laptop.page.evaluate(() => window.pulse.patch('laptop', 'todos', 't1', { note: 'from the laptop' }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await phone.page.evaluate(() => window.pulse.patch('phone', 'todos', 't1', { note: 'from the phone' }));
    expect(await todoOn(laptop.page, 'laptop')).toEqual({ title: 'Call mom on Sunday', done: false, note: 'from the laptop' });

    await laptop.setOffline(false);
    await phone.setOffline(false);
    const merged = { title: 'Call mom on Sunday', done: true, note: 'from the phone' };
    await waitFor(
      'both devices and the server to hold both edits',
      async () => [await todoOn(laptop.page, 'laptop'), await todoOn(phone.page, 'phone'), (await serverRecords(h.server, TODOS)).get('t1')],
      (held) => held.every((value) => JSON.stringify(value) === JSON.stringify(merged)),
      { timeoutMs: 30_000, everyMs: 200 },
    );

    // The laptop lost the note, and alone hears it (by its push's answer or its pull, whichever came first).
    const heard = await waitFor('the laptop’s conflict', () => laptop.page.evaluate(() => window.pulse.events('laptop').conflictEvents), (c) => c.length > 0);
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({
      collective: 'todos',
      id: 't1',
      policy: 'field-last-write-wins',
      outcome: 'merged',
      fields: [{ path: ['note'], had: { value: 'from the laptop' }, won: { path: ['note'], value: 'from the phone' } }],
    });
    expect(heard[0]?.reason).toMatch(/^note: this replica's .*lost to .*later one/);
    expect(await phone.page.evaluate(() => window.pulse.events('phone').conflictEvents)).toEqual([]);

    // Why the laptop holds the phone's note: its own edit, then the phone's, which overruled it.
    const laptopId = await laptop.page.evaluate(() => window.pulse.instanceId('laptop'));
    const phoneId = await phone.page.evaluate(() => window.pulse.instanceId('phone'));
    const explained = await laptop.page.evaluate(() => window.pulse.explain('laptop', 'todos', 't1'));
    expect(explained.fields.map((stamp) => [stamp.path.join('.'), stamp.source === phoneId ? 'phone' : 'laptop'])).toEqual([
      ['', 'laptop'],
      ['done', 'phone'],
      ['note', 'phone'],
      ['title', 'laptop'],
    ]);
    const notes = explained.history.filter((entry) => entry.path[0] === 'note');
    expect(notes).toEqual([
      expect.objectContaining({ value: 'from the laptop', source: laptopId, via: 'local' }),
      expect.objectContaining({
        value: 'from the phone',
        source: phoneId,
        via: 'server',
        version: expect.any(Number),
        overruled: [expect.objectContaining({ source: laptopId, value: 'from the laptop', mine: true })],
        rule: expect.stringContaining('field-last-write-wins'),
      }),
    ]);
    expect(await h.pageErrors(laptop.page)).toEqual([]);
    expect(await h.pageErrors(phone.page)).toEqual([]);
    for (const [page, name] of [[laptop.page, 'laptop'], [phone.page, 'phone']] as const) await page.evaluate((n) => window.pulse.close(n), name);
  }, 90_000);
});
