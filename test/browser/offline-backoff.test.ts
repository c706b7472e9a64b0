/**
 * The browser's own offline switch (Playwright's `context.setOffline`, DevTools network
 * emulation: requests fail and `navigator.onLine` turns false) drives the sync loop:
 * status goes `disconnected`, the retry delay grows from one failure to the next, and
 * once the browser is back online the loop recovers and pushes what was written offline.
 */
import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../src/protocol/types.ts';
import { useBrowserHarness } from '../support/browser-harness.ts';
import { serverRecords } from '../support/server-records.ts';
import { waitFor } from '../support/wait.ts';
import './pages/client-api.ts';

const NAME = 'offline-device';
/** Short delays so several retries fit in a second; a cap well above them. */
const CONFIG = { pushIntervalMs: 200, pullIntervalMs: 200, retry: { initialDelayMs: 100, multiplier: 2, maxDelayMs: 10_000 } } as const;

/**
 * The growing retry delays announced by `disconnected` statuses: each one longer than
 * any before it. The push and pull loops back off each on its own schedule and status
 * shows the latest failure, so a loop failing late (the pull loop, polling slowly while
 * the live channel was up, fails first when the drop is noticed) may announce a short
 * delay after the other loop's longer one; what must grow is the backoff itself.
 */
function announcedDelays(statuses: readonly SyncStatus[]): number[] {
  const delays: number[] = [];
  for (const status of statuses) {
    const delay = status.state === 'disconnected' ? status.retry?.nextDelayMs : undefined;
    if (delay !== undefined && delay > (delays.at(-1) ?? 0)) delays.push(delay);
  }
  return delays;
}

describe('offline via the browser switch', () => {
  const h = useBrowserHarness();

  it('goes disconnected, backs off further with each failure, and recovers online', async () => {
    const { context, page } = await h.newDevice();
    await page.evaluate((o) => window.pulse.open(o), { name: NAME, url: h.server.url, token: h.server.token, config: CONFIG });
    await page.evaluate((n) => window.pulse.start(n), NAME);
    await waitFor('the first sync', () => page.evaluate((n) => window.pulse.status(n), NAME), (s) => s.lastSyncedAt !== null);

    await context.setOffline(true);
    const wentOffline = Date.now();
    await page.evaluate((n) => window.pulse.clearEvents(n), NAME);
    await page.evaluate((n) => window.pulse.put(n, 'notes', 'written-offline', { text: 'while offline' }), NAME);

    const offline = await waitFor(
      'three growing retry delays while offline',
      () => page.evaluate((n) => window.pulse.events(n).status, NAME),
      (statuses) => announcedDelays(statuses).length >= 3,
      { timeoutMs: 20_000, everyMs: 100 },
    );
    const delays = announcedDelays(offline);
    console.log(`offline retry delays (ms): ${delays.join(', ')}; statuses: ${offline.map((s) => `${s.state}/${s.error?.code ?? '-'}`).join(' ')}`);
    expect(offline.some((s) => s.state === 'disconnected')).toBe(true);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1] as number);
    expect((await serverRecords(h.server, 'notes')).has('written-offline')).toBe(false);

    await context.setOffline(false);
    const recovered = await waitFor(
      'an idle status with a sync after going back online',
      () => page.evaluate((n) => window.pulse.status(n), NAME),
      (s) => s.state === 'idle' && s.pending === 0 && (s.lastSyncedAt ?? 0) > wentOffline,
      { timeoutMs: 20_000, everyMs: 100 },
    );
    expect(recovered.error).toBeUndefined();
    expect(recovered.retry).toBeUndefined();
    expect((await serverRecords(h.server, 'notes')).get('written-offline')).toEqual({ text: 'while offline' });
    expect(h.pageErrors(page)).toEqual([]);
    await page.evaluate((n) => window.pulse.close(n), NAME);
  }, 60_000);

  it('retries at once when the browser comes back online, not at the end of a long backoff', async () => {
    // Chromium fires no online/offline events in workers; the worker watches navigator.onLine.
    const name = 'offline-long-backoff';
    const longBackoff = { pushIntervalMs: 200, pullIntervalMs: 200, retry: { initialDelayMs: 120_000, multiplier: 2, maxDelayMs: 600_000 } };
    const { context, page } = await h.newDevice();
    await page.evaluate((o) => window.pulse.open(o), { name, url: h.server.url, token: h.server.token, config: longBackoff });
    await page.evaluate((n) => window.pulse.start(n), name);
    await waitFor('the first sync', () => page.evaluate((n) => window.pulse.status(n), name), (s) => s.lastSyncedAt !== null);

    await context.setOffline(true);
    await page.evaluate((n) => window.pulse.put(n, 'notes', 'back-online', { text: 'pushed on reconnect' }), name);
    await waitFor(
      'a two-minute backoff after the failed push',
      () => page.evaluate((n) => window.pulse.status(n), name),
      (s) => s.state === 'disconnected' && (s.retry?.nextDelayMs ?? 0) >= 120_000,
      { timeoutMs: 20_000, everyMs: 100 },
    );

    await context.setOffline(false);
    // Well inside the two-minute backoff: only the return online can have woken the loop.
    await waitFor(
      'the write on the server after going back online',
      () => serverRecords(h.server, 'notes'),
      (records) => records.has('back-online'),
      { timeoutMs: 30_000, everyMs: 200 },
    );
    expect(h.pageErrors(page)).toEqual([]);
    await page.evaluate((n) => window.pulse.close(n), name);
  }, 60_000);
});
