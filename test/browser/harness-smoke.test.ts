/**
 * The browser harness works end to end in every engine: the browser runs the
 * Vite-built client page from 127.0.0.1, the bundled worker syncs with the real
 * pulsesync-server through the counting proxy, which counts each route and can cut
 * the network; a device's own offline switch takes it off the network and back.
 */
import { describe, expect, it } from 'vitest';
import { useBrowserHarness } from '../support/browser-harness.ts';
import { engines } from '../support/engines.ts';
import { serverRecords } from '../support/server-records.ts';
import './pages/client-api.ts';

describe.each(engines)('the browser test harness in %s', (engine) => {
  const h = useBrowserHarness(engine);

  it('syncs a page client with the real server through the counting proxy, which can cut it off', async () => {
    const { page, serverUrl } = await h.newDevice();
    const { token, proxy } = h.server;
    await page.evaluate((o) => window.pulse.open(o), { name: 'smoke', url: serverUrl, token });
    await page.evaluate(() => window.pulse.put('smoke', 'notes', 'one', { n: 1 }));
    const pushesBefore = proxy.count('push');
    await page.evaluate(() => window.pulse.syncOnce('smoke'));
    expect(proxy.count('push')).toBe(pushesBefore + 1);
    expect((await serverRecords(h.server, 'notes')).get('one')).toEqual({ n: 1 });

    proxy.cut();
    try {
      await page.evaluate(() => window.pulse.put('smoke', 'notes', 'two', { n: 2 }));
      await expect(page.evaluate(() => window.pulse.syncOnce('smoke'))).rejects.toThrow(/TRANSPORT/);
    } finally {
      proxy.restore();
    }
    await page.evaluate(() => window.pulse.syncOnce('smoke'));
    expect((await serverRecords(h.server, 'notes')).get('two')).toEqual({ n: 2 });
    expect(await h.pageErrors(page)).toEqual([]);
    await page.evaluate(() => window.pulse.close('smoke'));
  }, 60_000);

  it('the device’s offline switch fails its requests, and lifting it lets them through', async () => {
    const device = await h.newDevice();
    const { page } = device;
    await page.evaluate((o) => window.pulse.open(o), { name: 'switch', url: device.serverUrl, token: h.server.token });
    await device.setOffline(true);
    try {
      await page.evaluate(() => window.pulse.put('switch', 'notes', 'offline', 1));
      await expect(page.evaluate(() => window.pulse.syncOnce('switch'))).rejects.toThrow(/TRANSPORT/);
    } finally {
      await device.setOffline(false);
    }
    await page.evaluate(() => window.pulse.syncOnce('switch'));
    expect((await serverRecords(h.server, 'notes')).get('offline')).toBe(1);
    await page.evaluate(() => window.pulse.close('switch'));
  }, 60_000);
});
