/**
 * The browser harness works end to end: Chromium runs the Vite-built client page from
 * 127.0.0.1, the bundled worker syncs with the real pulsesync-server through the
 * counting proxy, which counts each route and can cut the network.
 */
import { describe, expect, it } from 'vitest';
import { useBrowserHarness } from '../support/browser-harness.ts';
import { serverRecords } from '../support/server-records.ts';
import './pages/client-api.ts';

describe('the browser test harness', () => {
  const h = useBrowserHarness();

  it('syncs a page client with the real server through the counting proxy, which can cut it off', async () => {
    const { page } = await h.newDevice();
    const { url, token, proxy } = h.server;
    await page.evaluate((o) => window.pulse.open(o), { name: 'smoke', url, token });
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
    expect(h.pageErrors(page)).toEqual([]);
    await page.evaluate(() => window.pulse.close('smoke'));
  }, 60_000);
});
