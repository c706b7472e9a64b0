/**
 * In every engine: two devices (each its own storage and network switch) edit
 * while offline, come back, and end with the same records as each other and as the
 * server: their own offline writes, the other's, a delete, and one record both edited
 * (last write wins).
 */
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/protocol/types.ts';
import type { EnginePage } from '../../tools/browser-engine.ts';
import { useBrowserHarness, type Device } from '../support/browser-harness.ts';
import { engines } from '../support/engines.ts';
import { serverRecords } from '../support/server-records.ts';
import { waitFor } from '../support/wait.ts';
import type { PageClientOptions } from './pages/client-api.ts';

const NOTES = 'notes';

/** Quick loops, so convergence after reconnecting takes a blink, not the default seconds. */
const CONFIG = { pushIntervalMs: 200, pullIntervalMs: 200, retry: { initialDelayMs: 100, maxDelayMs: 1_000 } } as const;

async function recordsOn(page: EnginePage, name: string): Promise<Record<string, JsonValue>> {
  const list = await page.evaluate(([n, c]) => window.pulse.list(n, c), [name, NOTES] as const);
  return Object.fromEntries(list.map((r) => [r.id, r.value]));
}

describe.each(engines)('two devices offline in %s', (engine) => {
  const h = useBrowserHarness(engine);

  it('edit offline, reconnect, and converge with each other and the server', async () => {
    const a = await h.newDevice();
    const b = await h.newDevice();
    const options = (name: string, device: Device): PageClientOptions => ({ name, url: device.serverUrl, token: h.server.token, config: CONFIG });
    await a.page.evaluate((o) => window.pulse.open(o), options('device-a', a));
    await b.page.evaluate((o) => window.pulse.open(o), options('device-b', b));

    // Online first: a shared starting point both devices hold.
    await a.page.evaluate(() => window.pulse.put('device-a', 'notes', 'shared', { text: 'first draft' }));
    await a.page.evaluate(() => window.pulse.put('device-a', 'notes', 'doomed', { text: 'to be deleted' }));
    await a.page.evaluate(() => window.pulse.start('device-a'));
    await b.page.evaluate(() => window.pulse.start('device-b'));
    await waitFor('device b to receive the starting records', () => recordsOn(b.page, 'device-b'), (r) => 'shared' in r && 'doomed' in r);

    await a.setOffline(true);
    await b.setOffline(true);

    // Offline edits on both sides; b edits the shared note after a does, so b's wins.
    for (let i = 0; i < 5; i++) {
      await a.page.evaluate((k) => window.pulse.put('device-a', 'notes', `a-${k}`, { text: `from a ${k}` }), i);
      await b.page.evaluate((k) => window.pulse.put('device-b', 'notes', `b-${k}`, { text: `from b ${k}` }), i);
    }
    await a.page.evaluate(() => window.pulse.remove('device-a', 'notes', 'doomed'));
    await a.page.evaluate(() => window.pulse.put('device-a', 'notes', 'shared', { text: 'edited on a' }));
    await new Promise((resolve) => setTimeout(resolve, 20)); // a later wall clock for b's edit
    await b.page.evaluate(() => window.pulse.put('device-b', 'notes', 'shared', { text: 'edited on b' }));

    // Offline means offline: neither device has seen the other's edits.
    expect(Object.keys(await recordsOn(a.page, 'device-a'))).not.toContain('b-0');
    expect(Object.keys(await recordsOn(b.page, 'device-b'))).not.toContain('a-0');
    expect((await serverRecords(h.server, NOTES)).has('a-0')).toBe(false);

    await a.setOffline(false);
    await b.setOffline(false);

    const expected: Record<string, JsonValue> = { shared: { text: 'edited on b' } };
    for (let i = 0; i < 5; i++) {
      expected[`a-${i}`] = { text: `from a ${i}` };
      expected[`b-${i}`] = { text: `from b ${i}` };
    }
    const converged = await waitFor(
      'both devices and the server to hold the same records',
      async () => {
        const onServer = Object.fromEntries(await serverRecords(h.server, NOTES));
        return { a: await recordsOn(a.page, 'device-a'), b: await recordsOn(b.page, 'device-b'), server: onServer };
      },
      (s) => [s.a, s.b, s.server].every((records) => sameRecords(records, expected)),
      { timeoutMs: 30_000, everyMs: 200 },
    );
    expect(sorted(converged.a)).toEqual(sorted(expected));
    expect(sorted(converged.b)).toEqual(sorted(expected));
    expect(sorted(converged.server)).toEqual(sorted(expected));
    expect(await h.pageErrors(a.page)).toEqual([]);
    expect(await h.pageErrors(b.page)).toEqual([]);

    await a.page.evaluate(() => window.pulse.close('device-a'));
    await b.page.evaluate(() => window.pulse.close('device-b'));
  }, 90_000);
});

function sameRecords(x: Record<string, JsonValue>, y: Record<string, JsonValue>): boolean {
  return JSON.stringify(sorted(x)) === JSON.stringify(sorted(y));
}

/** The same record map with its keys in order, so JSON comparison is stable. */
function sorted(records: Record<string, JsonValue>): Record<string, JsonValue> {
  return Object.fromEntries(Object.entries(records).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}
