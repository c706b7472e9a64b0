/**
 * Issue 14's first story on two devices in Chromium, with the default worker under
 * last-write-wins, against the real `pulsesync-server`: the laptop's edit reaches the
 * server first; the phone, offline since before it, edits the same todo later and wins.
 * The laptop hears it once (what it had, what won, why), however often it pulls again.
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
const CONFIG = { pushIntervalMs: 200, pullIntervalMs: 200, retry: { initialDelayMs: 100, maxDelayMs: 1_000 } } as const;

async function todoOn(page: EnginePage, name: string): Promise<JsonValue | undefined> {
  const list = await page.evaluate(([n, c]) => window.pulse.list(n, c), [name, TODOS] as const);
  return list.find((record) => record.id === 't1')?.value;
}

describe.runIf(engines.includes('chromium'))('a pushed edit overruled unseen, on two devices in chromium', () => {
  const h = useBrowserHarness('chromium');

  it('the device whose pushed edit lost hears it once, with what it had, what won and why', async () => {
    const laptop = await h.newDevice();
    const phone = await h.newDevice();
    const options = (name: string, device: Device): PageClientOptions => ({ name, url: device.serverUrl, token: h.server.token, config: CONFIG });
    await laptop.page.evaluate((o) => window.pulse.open(o), options('laptop', laptop));
    await phone.page.evaluate((o) => window.pulse.open(o), options('phone', phone));
    await laptop.page.evaluate(() => window.pulse.put('laptop', 'todos', 't1', { title: 'Call mom' }));
    await laptop.page.evaluate(() => window.pulse.start('laptop'));
    await phone.page.evaluate(() => window.pulse.start('phone'));
    await waitFor('the phone to hold the todo', () => todoOn(phone.page, 'phone'), (value) => value !== undefined);

    await phone.setOffline(true);
    await laptop.page.evaluate(() => window.pulse.put('laptop', 'todos', 't1', { title: 'from the laptop' }));
    await waitFor('the server to hold the laptop’s edit', async () => (await serverRecords(h.server, TODOS)).get('t1'), (value) => JSON.stringify(value) === '{"title":"from the laptop"}');
    await new Promise((resolve) => setTimeout(resolve, 20)); // the phone's edit is later on the clock
    await phone.page.evaluate(() => window.pulse.put('phone', 'todos', 't1', { title: 'from the phone' }));
    await phone.setOffline(false);

    const won = { title: 'from the phone' };
    await waitFor(
      'both devices and the server to hold the phone’s edit',
      async () => [await todoOn(laptop.page, 'laptop'), await todoOn(phone.page, 'phone'), (await serverRecords(h.server, TODOS)).get('t1')],
      (held) => held.every((value) => JSON.stringify(value) === JSON.stringify(won)),
      { timeoutMs: 30_000, everyMs: 200 },
    );
    const heard = await waitFor('the laptop’s conflict', () => laptop.page.evaluate(() => window.pulse.events('laptop').conflictEvents), (c) => c.length > 0);
    await laptop.page.evaluate(() => window.pulse.syncOnce('laptop'));
    await laptop.page.evaluate(() => window.pulse.syncOnce('laptop'));
    expect(await laptop.page.evaluate(() => window.pulse.events('laptop').conflictEvents)).toHaveLength(1);
    expect(heard[0]).toMatchObject({ collective: 'todos', id: 't1', policy: 'last-write-wins', outcome: 'remote', local: { op: 'put', value: { title: 'from the laptop' } }, remote: { value: won } });
    expect(heard[0]?.reason).toMatch(/later than the pushed one/);
    // The phone lost nothing (it may have heard that its pending edit stood, if it pulled before pushing).
    const phoneHeard = await phone.page.evaluate(() => window.pulse.events('phone').conflictEvents);
    expect(phoneHeard.filter((conflict) => conflict.outcome !== 'local')).toEqual([]);
    expect(await h.pageErrors(laptop.page)).toEqual([]);
    expect(await h.pageErrors(phone.page)).toEqual([]);
    for (const [page, name] of [[laptop.page, 'laptop'], [phone.page, 'phone']] as const) await page.evaluate((n) => window.pulse.close(n), name);
  }, 90_000);
});
