/**
 * In every engine: an error thrown in the sync worker reaches the page as a SyncError with its stable
 * `code` and message (Comlink alone would keep only the message, and the page would
 * see `INTERNAL`), from data calls and from the sync lifecycle alike. The client page
 * reports a failed call as `[CODE] message` (only a message crosses page.evaluate).
 */
import { describe, expect, it } from 'vitest';
import { useBrowserHarness } from '../support/browser-harness.ts';
import { engines } from '../support/engines.ts';
import './pages/client-api.ts';

describe.each(engines)('errors from the worker in %s', (engine) => {
  const h = useBrowserHarness(engine);

  it('a refused write arrives on the main thread as a SyncError with its code', async () => {
    const { page, serverUrl } = await h.newDevice();
    const name = `errors-${Date.now()}`;
    await page.evaluate((o) => window.pulse.open(o), { name, url: serverUrl, token: h.server.token });
    const caught = await page.evaluate(async (n) => {
      try {
        await window.pulse.put(n, '', 'id', { bad: 'collective' });
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    }, name);
    expect(caught).toMatch(/^\[INVALID_PAYLOAD\] .*collective/i);
    // The worker is fine afterwards.
    await page.evaluate((n) => window.pulse.put(n, 'notes', 'ok', 1), name);
    expect(await page.evaluate((n) => window.pulse.list(n, 'notes'), name)).toHaveLength(1);
    await page.evaluate((n) => window.pulse.close(n), name);
  });

  it('a server refusal in the worker (bad token) rejects start() with UNAUTHORIZED', async () => {
    const { page, serverUrl } = await h.newDevice();
    const name = `bad-token-${Date.now()}`;
    await page.evaluate((o) => window.pulse.open(o), { name, url: serverUrl, token: 'not-the-token' });
    await expect(page.evaluate((n) => window.pulse.start(n), name)).rejects.toThrow(/\[UNAUTHORIZED\]/);
    const status = await page.evaluate((n) => window.pulse.status(n), name);
    expect(status.running).toBe(false);
    expect(status.error?.code).toBe('UNAUTHORIZED');
    expect(await page.evaluate((n) => window.pulse.events(n).errors.map((e) => e.code), name)).toContain('UNAUTHORIZED');
    await page.evaluate((n) => window.pulse.close(n), name);
  });
});
