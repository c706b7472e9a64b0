/**
 * In every engine: the README's start-up code in an app opened offline (the device's
 * offline switch: requests fail; in Chromium and Firefox `navigator.onLine` is false). `await client.start()` resolves instead
 * of failing `TRANSPORT`, the app writes, and once the browser is back online — with
 * no further app code — its writes reach the server while another device's writes,
 * made meanwhile and after, come in.
 */
import type { EnginePage } from '../../tools/browser-engine.ts';
import { describe, expect, it } from 'vitest';
import { useBrowserHarness, type Device } from '../support/browser-harness.ts';
import { engines } from '../support/engines.ts';
import { serverRecords } from '../support/server-records.ts';
import { waitFor } from '../support/wait.ts';
import type { PageClientOptions } from './pages/client-api.ts';

const OFFLINE = 'opened-offline';
const REMOTE = 'other-device';
/** Quick loops, so catching up after reconnecting takes a blink, not the default seconds. */
const CONFIG = { pushIntervalMs: 200, pullIntervalMs: 200, batchSize: 4, retry: { initialDelayMs: 100, maxDelayMs: 1_000 } } as const;

async function idsOn(page: EnginePage, name: string): Promise<string[]> {
  const records = await page.evaluate(([n, c]) => window.pulse.list(n, c), [name, 'notes'] as const);
  return records.map((r) => r.id).sort();
}

describe.each(engines)('an app opened offline in %s', (engine) => {
  const h = useBrowserHarness(engine);

  it('await client.start() resolves offline; back online, its writes go out while the other device’s come in', async () => {
    const options = (name: string, device: Device): PageClientOptions => ({ name, url: device.serverUrl, token: h.server.token, config: CONFIG });
    const other = await h.newDevice();
    await other.page.evaluate((o) => window.pulse.open(o), options(REMOTE, other));
    await other.page.evaluate((n) => window.pulse.start(n), REMOTE);
    for (let i = 0; i < 6; i++) await other.page.evaluate(([n, k]) => window.pulse.put(n, 'notes', `remote-before-${k}`, k), [REMOTE, i] as const);
    await waitFor('the other device’s writes on the server', () => serverRecords(h.server, 'notes'), (r) => r.size === 6);

    // The worker script needs the network to load here (the test server forbids caching,
    // where an app opened offline has it from its cache): the client is made first,
    // which makes no sync request, then the browser goes offline before the start-up.
    const device = await h.newDevice();
    const { page } = device;
    await page.evaluate((o) => window.pulse.open(o), options(OFFLINE, device));
    await device.setOffline(true);
    await page.evaluate((n) => window.pulse.start(n), OFFLINE); // the README pattern: rejects only on a final refusal
    const offline = await page.evaluate((n) => window.pulse.status(n), OFFLINE);
    expect(offline).toMatchObject({ state: 'disconnected', running: true });
    for (let i = 0; i < 3; i++) await page.evaluate(([n, k]) => window.pulse.put(n, 'notes', `offline-${k}`, k), [OFFLINE, i] as const);
    expect(await idsOn(page, OFFLINE)).toEqual(['offline-0', 'offline-1', 'offline-2']);

    await device.setOffline(false);
    await other.page.evaluate((n) => window.pulse.put(n, 'notes', 'remote-after', 'while the other catches up'), REMOTE);
    const expected = ['offline-0', 'offline-1', 'offline-2', 'remote-after', ...Array.from({ length: 6 }, (_, i) => `remote-before-${i}`)].sort();
    await waitFor('the offline writes on the server', () => serverRecords(h.server, 'notes'), (r) => ['offline-0', 'offline-1', 'offline-2'].every((id) => r.has(id)), {
      timeoutMs: 30_000,
      everyMs: 200,
    });
    await waitFor('every remote record here', () => idsOn(page, OFFLINE), (ids) => JSON.stringify(ids) === JSON.stringify(expected), { timeoutMs: 30_000, everyMs: 200 });
    await waitFor('the offline writes at the other device', () => idsOn(other.page, REMOTE), (ids) => JSON.stringify(ids) === JSON.stringify(expected), {
      timeoutMs: 30_000,
      everyMs: 200,
    });

    const events = await page.evaluate((n) => window.pulse.events(n), OFFLINE);
    // The catch-up ran as part of start(), with progress, and ended caught up.
    expect(events.progress.at(-1)).toMatchObject({ hasMore: false });
    expect(events.progress.at(-1)?.totalPulled).toBeGreaterThanOrEqual(6);
    // Nothing but not reaching the server went wrong on the way.
    expect(events.errors.filter((e) => e.code !== 'TRANSPORT')).toEqual([]);
    await waitFor('nothing pending', () => page.evaluate((n) => window.pulse.status(n), OFFLINE), (s) => s.pending === 0 && s.state === 'idle');
    expect(await h.pageErrors(page)).toEqual([]);
    expect(await h.pageErrors(other.page)).toEqual([]);
    await page.evaluate((n) => window.pulse.close(n), OFFLINE);
    await other.page.evaluate((n) => window.pulse.close(n), REMOTE);
  }, 90_000);
});
