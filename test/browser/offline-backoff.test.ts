/**
 * In every engine, the device's offline switch (Chromium and Firefox: the browser's own,
 * requests fail and `navigator.onLine` turns false; WebKit: the device's link to the
 * server cut, and the `offline`/`online` events of the OS change) drives the sync loop:
 * status goes `disconnected`, the retry delay grows from one failure to the next, and
 * once the browser is back online the loop recovers and pushes what was written offline.
 */
import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../src/protocol/types.ts';
import { useBrowserHarness } from '../support/browser-harness.ts';
import { engines } from '../support/engines.ts';
import { serverRecords } from '../support/server-records.ts';
import { waitFor } from '../support/wait.ts';
import './pages/client-api.ts';

const NAME = 'offline-device';
/** Short delays so several retries fit in a second; a cap well above them. */
const CONFIG = { pushIntervalMs: 200, pullIntervalMs: 200, retry: { initialDelayMs: 100, multiplier: 2, maxDelayMs: 10_000 } } as const;

/**
 * The retry delay announced for each attempt, by attempt number (1, 2, 3…). Status shows
 * the latest failure of any loop (connect, push, pull: each keeps its own schedule), so
 * the delays come interleaved; what must hold is that a later attempt waits longer.
 */
function delaysByAttempt(statuses: readonly SyncStatus[]): number[] {
  const byAttempt: number[] = [];
  for (const status of statuses) {
    const retry = status.state === 'disconnected' ? status.retry : undefined;
    if (retry !== undefined) byAttempt[retry.attempt - 1] ??= retry.nextDelayMs;
  }
  return byAttempt;
}

/** The delays of attempts 1, 2 and 3, once all three were announced. */
function firstThree(delays: readonly number[]): [number, number, number] | undefined {
  const [first, second, third] = [delays[0], delays[1], delays[2]];
  return first === undefined || second === undefined || third === undefined ? undefined : [first, second, third];
}

describe.each(engines)('offline via the device’s switch in %s', (engine) => {
  const h = useBrowserHarness(engine);

  it('goes disconnected, backs off further with each failure, and recovers online', async () => {
    const device = await h.newDevice();
    const { page } = device;
    await page.evaluate((o) => window.pulse.open(o), { name: NAME, url: device.serverUrl, token: h.server.token, config: CONFIG });
    await page.evaluate((n) => window.pulse.start(n), NAME);
    await waitFor('the first sync', () => page.evaluate((n) => window.pulse.status(n), NAME), (s) => s.lastSyncedAt !== null);

    await device.setOffline(true);
    const wentOffline = Date.now();
    await page.evaluate((n) => window.pulse.clearEvents(n), NAME);
    await page.evaluate((n) => window.pulse.put(n, 'notes', 'written-offline', { text: 'while offline' }), NAME);

    const offline = await waitFor(
      'three growing retry delays while offline',
      () => page.evaluate((n) => window.pulse.events(n).status, NAME),
      (statuses) => firstThree(delaysByAttempt(statuses)) !== undefined,
      { timeoutMs: 20_000, everyMs: 100 },
    );
    const delays = delaysByAttempt(offline);
    console.log(`offline retry delays by attempt (ms): ${delays.join(', ')}; statuses: ${offline.map((s) => `${s.state}/${s.error?.code ?? '-'}`).join(' ')}`);
    expect(offline.some((s) => s.state === 'disconnected')).toBe(true);
    const [first, second, third] = firstThree(delays) ?? [];
    expect(second).toBeGreaterThan(first as number);
    expect(third).toBeGreaterThan(second as number);
    expect((await serverRecords(h.server, 'notes')).has('written-offline')).toBe(false);

    await device.setOffline(false);
    const recovered = await waitFor(
      'an idle status with a sync after going back online',
      () => page.evaluate((n) => window.pulse.status(n), NAME),
      (s) => s.state === 'idle' && s.pending === 0 && (s.lastSyncedAt ?? 0) > wentOffline,
      { timeoutMs: 20_000, everyMs: 100 },
    );
    expect(recovered.error).toBeUndefined();
    expect(recovered.retry).toBeUndefined();
    expect((await serverRecords(h.server, 'notes')).get('written-offline')).toEqual({ text: 'while offline' });
    expect(await h.pageErrors(page)).toEqual([]);
    await page.evaluate((n) => window.pulse.close(n), NAME);
  }, 60_000);

  it('retries at once when the browser comes back online, not at the end of a long backoff', async () => {
    // Chromium and Firefox fire no online/offline events in workers; the page relays its own.
    const name = 'offline-long-backoff';
    const longBackoff = { pushIntervalMs: 200, pullIntervalMs: 200, retry: { initialDelayMs: 120_000, multiplier: 2, maxDelayMs: 600_000 } };
    const device = await h.newDevice();
    const { page } = device;
    await page.evaluate((o) => window.pulse.open(o), { name, url: device.serverUrl, token: h.server.token, config: longBackoff });
    await page.evaluate((n) => window.pulse.start(n), name);
    await waitFor('the first sync', () => page.evaluate((n) => window.pulse.status(n), name), (s) => s.lastSyncedAt !== null);

    await device.setOffline(true);
    await page.evaluate((n) => window.pulse.put(n, 'notes', 'back-online', { text: 'pushed on reconnect' }), name);
    await waitFor(
      'a two-minute backoff after the failed push',
      () => page.evaluate((n) => window.pulse.status(n), name),
      (s) => s.state === 'disconnected' && (s.retry?.nextDelayMs ?? 0) >= 120_000,
      { timeoutMs: 20_000, everyMs: 100 },
    );

    await device.setOffline(false);
    // Well inside the two-minute backoff: only the return online can have woken the loop.
    await waitFor(
      'the write on the server after going back online',
      () => serverRecords(h.server, 'notes'),
      (records) => records.has('back-online'),
      { timeoutMs: 30_000, everyMs: 200 },
    );
    expect(await h.pageErrors(page)).toEqual([]);
    await page.evaluate((n) => window.pulse.close(n), name);
  }, 60_000);
});
