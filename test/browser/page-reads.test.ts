/**
 * Collections' whole-collection reads answered on the page, straight from the browser's
 * IndexedDB (src/client/page-records.ts), against the real `pulsesync-server`: synced
 * records and pending local writes in, tombstones out, exactly what the worker's `list`
 * gives in another tab of the same replica; pages by `limit`/`after`; and after
 * `clearLocalData`, the new replica (the page's connection gives way to the delete).
 */
import { describe, expect, it } from 'vitest';
import type { EnginePage as Page } from '../../tools/browser-engine.ts';
import { useBrowserHarness } from '../support/browser-harness.ts';
import { engines } from '../support/engines.ts';
import { waitFor } from '../support/wait.ts';
import './pages/client-api.ts';

const CONFIG = { pushIntervalMs: 200, pullIntervalMs: 200, retry: { initialDelayMs: 100, maxDelayMs: 1_000 } } as const;

async function listed(page: Page, name: string): Promise<{ id: string; value: unknown; source: string; version?: number }[]> {
  const records = await page.evaluate((n) => window.pulse.list(n, 'notes'), name);
  return records.map(({ id, value, source, version }) => ({ id, value, source, ...(version === undefined ? {} : { version }) }));
}

describe.each(engines)('whole-collection reads on the page in %s', (engine) => {
  const h = useBrowserHarness(engine);

  it('give what the worker gives: synced records and pending writes, no tombstones; pages continue by id', async () => {
    const name = `page-reads-${Date.now()}`;
    const writer = await h.newDevice();
    await writer.page.evaluate((o) => window.pulse.open(o), { name: `${name}-writer`, url: writer.serverUrl, token: h.server.token, config: CONFIG });
    await writer.page.evaluate((n) => window.pulse.putMany(n, ['s1', 's2', 's3'].map((id) => ({ collective: 'notes', id, value: { from: 'server', id } }))), `${name}-writer`);
    await writer.page.evaluate((n) => window.pulse.syncOnce(n), `${name}-writer`);

    const device = await h.newDevice();
    const reader = device.page; // a client with collections: list and query read on this page
    const plain = await device.openPage(); // the default client: list answered by the worker
    await reader.evaluate((o) => window.pulse.open(o), { name, url: device.serverUrl, token: h.server.token, config: CONFIG, collections: ['notes'] });
    await plain.evaluate((o) => window.pulse.open(o), { name, url: device.serverUrl, token: h.server.token, config: CONFIG });
    await reader.evaluate((n) => window.pulse.syncOnce(n), name);
    await plain.evaluate((n) => window.pulse.put(n, 'notes', 'p1', { from: 'this device' }), name);
    await plain.evaluate((n) => window.pulse.remove(n, 'notes', 's2'), name);
    await plain.evaluate((n) => window.pulse.put(n, 'other', 'x', 'elsewhere'), name);

    await reader.evaluate(() => window.pulse.countDatabaseOpens());
    const onPage = await listed(reader, name);
    expect(await reader.evaluate(() => window.pulse.databaseOpens())).toBe(1); // the page opened the replica itself
    expect(onPage.map((r) => r.id)).toEqual(['p1', 's1', 's3']);
    expect(onPage).toEqual(await listed(plain, name));
    expect(onPage.find((r) => r.id === 's1')?.version).toBeGreaterThan(0); // synced: with its server version
    expect((await reader.evaluate((n) => window.pulse.query(n, 'notes', {}), name)).ids).toEqual(['p1', 's1', 's3']);
    const first = await reader.evaluate((n) => window.pulse.query(n, 'notes', { limit: 2 }), name);
    expect(first.ids).toEqual(['p1', 's1']);
    const rest = await reader.evaluate(([n, after]) => window.pulse.query(n, 'notes', { limit: 2, after }), [name, first.next] as const);
    expect(rest).toEqual({ ids: ['s3'] });
    expect(await reader.evaluate(() => window.pulse.databaseOpens())).toBe(1); // one connection, kept
    expect(await h.pageErrors(reader)).toEqual([]);
    for (const tab of [reader, plain]) await tab.evaluate((n) => window.pulse.close(n), name);
    await writer.page.evaluate((n) => window.pulse.close(n), `${name}-writer`);
  }, 90_000);

  it('read the new replica after clearLocalData (the page lets the delete through)', async () => {
    const name = `page-reads-clear-${Date.now()}`;
    const device = await h.newDevice();
    const { page } = device;
    await page.evaluate((o) => window.pulse.open(o), { name, url: device.serverUrl, token: h.server.token, config: CONFIG, collections: ['notes'] });
    await page.evaluate((n) => window.pulse.put(n, 'notes', 'before', 1), name);
    expect((await listed(page, name)).map((r) => r.id)).toEqual(['before']);
    await page.evaluate((n) => window.pulse.clearLocalData(n, { discardPending: true }), name);
    await waitFor('the reset', () => page.evaluate((n) => window.pulse.events(n).resets.length, name), (resets) => resets > 0);
    await page.evaluate((n) => window.pulse.put(n, 'notes', 'after', 2), name);
    expect((await listed(page, name)).map((r) => r.id)).toEqual(['after']);
    expect((await page.evaluate((n) => window.pulse.query(n, 'notes', {}), name)).ids).toEqual(['after']);
    expect(await h.pageErrors(page)).toEqual([]);
    await page.evaluate((n) => window.pulse.close(n), name);
  }, 90_000);
});
