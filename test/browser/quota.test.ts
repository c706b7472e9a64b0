/**
 * A full disk, as the browser reports it (`QuotaExceededError`, provoked with a tiny
 * quota over the DevTools protocol): a local write fails `QUOTA_EXCEEDED` and writes
 * nothing; a pulled batch that does not fit leaves status `error` with
 * `QUOTA_EXCEEDED` and nothing half-applied; once space frees, sync resumes by itself.
 *
 * Chromium only: the quota override is a DevTools command, and neither Firefox (over
 * BiDi) nor WebKit (over WebDriver classic) offers a way to shrink an origin's quota.
 */
import { describe, expect, it } from 'vitest';
import { playwrightPageOf } from '../../tools/chromium.ts';
import { useBrowserHarness } from '../support/browser-harness.ts';
import { engines } from '../support/engines.ts';
import { waitFor } from '../support/wait.ts';
import './pages/client-api.ts';

/** Records of ~4 KB: 300 of them (~1.2 MB) cannot fit in a 256 KB quota. */
const RECORDS = Array.from({ length: 300 }, (_, i) => ({
  collective: 'big',
  id: `r${String(i).padStart(7, '0')}`,
  value: { i, text: 'x'.repeat(4000) },
}));
const TINY_QUOTA = 256 * 1024;

describe.runIf(engines.includes('chromium'))('storage quota in chromium (only Chromium can shrink a quota: over CDP)', () => {
  const h = useBrowserHarness('chromium');

  it('QUOTA_EXCEEDED for a local write and for a pulled batch; sync resumes when space frees', async () => {
    const name = `quota-${Date.now()}`;
    const options = {
      name,
      url: h.server.url, // Chromium has its own offline switch: every device reaches the proxy itself
      token: h.server.token,
      config: { pushIntervalMs: 200, pullIntervalMs: 200, retry: { initialDelayMs: 100, maxDelayMs: 300 } },
    };

    // Another device puts the records on the server.
    const writer = await h.newDevice();
    await writer.page.evaluate((o) => window.pulse.open(o), { ...options, name: `${name}-writer` });
    await writer.page.evaluate(([n, records]) => window.pulse.putMany(n, records), [`${name}-writer`, RECORDS] as const);
    await writer.page.evaluate((n) => window.pulse.syncOnce(n), `${name}-writer`);
    await writer.close();

    // This device gets a tiny quota — before its database opens: Chromium 156 did not
    // apply an override to a database already open when the override came.
    const { page } = await h.newDevice();
    const chromiumPage = playwrightPageOf(page);
    const cdp = await chromiumPage.context().newCDPSession(chromiumPage);
    const origin = new URL(h.pages.url).origin;
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: TINY_QUOTA });
    await page.evaluate((o) => window.pulse.open(o), options);

    // A local write that does not fit fails whole.
    const local = await page.evaluate(
      ([n, records]) => window.pulse.putMany(n, records).then(() => 'written', (error: Error) => error.message),
      [name, RECORDS.map((r) => ({ ...r, collective: 'local' }))] as const,
    );
    expect(local).toMatch(/^\[QUOTA_EXCEEDED\]/);
    expect(await page.evaluate((n) => window.pulse.list(n, 'local'), name)).toHaveLength(0);

    // A pulled batch that does not fit: status error, QUOTA_EXCEEDED, no record applied.
    await page.evaluate((n) => window.pulse.start(n), name);
    const failed = await waitFor(
      'status error with QUOTA_EXCEEDED',
      () => page.evaluate((n) => window.pulse.status(n), name),
      (s) => s.state === 'error' && s.error?.code === 'QUOTA_EXCEEDED',
    );
    expect(failed.running).toBe(true);
    expect(await page.evaluate((n) => window.pulse.census(n, 'big'), name)).toMatchObject({ count: 0 });

    // Space frees (the override is lifted): the loop's next retry applies everything.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    const census = await waitFor(
      'every record after space freed',
      () => page.evaluate(([n, expected]) => window.pulse.census(n, 'big', expected), [name, RECORDS.length] as const),
      (c) => c.count === RECORDS.length,
    );
    expect(census).toMatchObject({ distinctIds: RECORDS.length, missingCount: 0 });
    await waitFor('a healthy status', () => page.evaluate((n) => window.pulse.status(n), name), (s) => s.state !== 'error');
    await page.evaluate((n) => window.pulse.close(n), name);
  }, 90_000);
});
