/**
 * `persist: true` in every engine: the browser keeps the origin's storage, or the client
 * says it could not — an `error` event with code `NOT_PERSISTED` (a warning: sync goes
 * on) and the reason. WebKit's automation, like older Safari, has no StorageManager:
 * `unsupported`, never silence.
 */
import { describe, expect, it } from 'vitest';
import { useBrowserHarness } from '../support/browser-harness.ts';
import { engines } from '../support/engines.ts';
import { waitFor } from '../support/wait.ts';
import './pages/client-api.ts';

describe.each(engines)('persist: true in %s', (engine) => {
  const h = useBrowserHarness(engine);

  it('persists, or says NOT_PERSISTED with the reason — and syncs either way', async () => {
    const { page, serverUrl } = await h.newDevice();
    const name = 'persisted';
    await page.evaluate((o) => window.pulse.open(o), { name, url: serverUrl, token: h.server.token, persist: true });
    const hasStorageManager = await page.evaluate(() => typeof navigator.storage?.persist === 'function');
    const outcome = await waitFor(
      'persistence granted, or a NOT_PERSISTED warning',
      async () => ({
        persisted: hasStorageManager ? await page.evaluate(() => navigator.storage.persisted()) : false,
        warnings: await page.evaluate((n) => window.pulse.events(n).errors.filter((e) => e.code === 'NOT_PERSISTED'), name),
      }),
      (o) => o.persisted || o.warnings.length > 0,
    );
    console.log(`persist in ${engine}: ${outcome.persisted ? 'granted' : JSON.stringify(outcome.warnings[0]?.details)}`);
    if (!hasStorageManager) expect(outcome.warnings).toMatchObject([{ code: 'NOT_PERSISTED', details: { reason: 'unsupported' } }]);
    else if (outcome.persisted) expect(outcome.warnings).toEqual([]);
    else expect(outcome.warnings).toMatchObject([{ code: 'NOT_PERSISTED', details: { reason: 'denied' } }]);
    if (engine === 'webkit') expect(hasStorageManager).toBe(false); // as the README says; a newer WebKitGTK may change it

    // Sync goes on.
    await page.evaluate((n) => window.pulse.put(n, 'notes', 'kept', 1), name);
    await page.evaluate((n) => window.pulse.syncOnce(n), name);
    expect(await h.pageErrors(page)).toEqual([]);
    await page.evaluate((n) => window.pulse.close(n), name);
  }, 60_000);
});
