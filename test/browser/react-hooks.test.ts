/**
 * Collections in every engine, through a small React app over `pulsesync/react` (its
 * default worker: pulsesync's collections worker): live queries re-render on a write
 * made in another tab (a plain client, the default worker); an index upgrade in a newer
 * tab closes the older tab with a coded error instead of blocking; two app versions
 * sync through one server, the newer migrating what the older wrote.
 */
import { describe, expect, it } from 'vitest';
import type { EnginePage } from '../../tools/browser-engine.ts';
import { useBrowserHarness } from '../support/browser-harness.ts';
import { engines } from '../support/engines.ts';
import { waitFor } from '../support/wait.ts';
import './pages/client-api.ts';
import type { ReactAppOptions, ReactAppView } from './pages/react-api.ts';

describe.each(engines)('collections and React hooks in %s', (engine) => {
  const h = useBrowserHarness(engine);
  const view = (page: EnginePage): Promise<ReactAppView> => page.evaluate(() => window.reactApp.view());
  const options = (name: string, url: string, extra: Partial<ReactAppOptions> = {}): ReactAppOptions => ({ name, url, token: h.server.token, ...extra });

  it('useQuery, useCount and useRecord re-render on a write made in another tab', async () => {
    const name = `react-${Date.now()}`;
    const device = await h.newDevice('react');
    const app = device.page;
    await app.evaluate((o) => window.reactApp.mount(o), options(name, device.serverUrl));
    await waitFor('the first render with results', () => view(app), (v) => v.open === '0');
    expect((await view(app)).todos).toEqual([]);

    // Another tab of the app writes through the plain client API (no collections: the default worker).
    const other = await device.openPage();
    await other.evaluate((o) => window.pulse.open(o), { name, url: device.serverUrl, token: h.server.token });
    await other.evaluate((n) => window.pulse.put(n, 'todos', 't1', { title: 'from the other tab', done: false, createdAt: 20 }), name);
    await other.evaluate((n) => window.pulse.put(n, 'todos', 't0', { title: 'older', done: true, createdAt: 10 }), name);
    const seen = await waitFor('the other tab’s writes', () => view(app), (v) => v.todos.length === 2 && v.open === '1' && v.first === 'from the other tab');
    expect(seen).toMatchObject({ todos: ['older', 'from the other tab'], open: '1', first: 'from the other tab' });

    // And its own writes, through the collection.
    await app.evaluate(() => window.reactApp.add('t2', 'newest', 30));
    await waitFor('its own write', () => view(app), (v) => v.todos.length === 3 && v.open === '2');
    await other.evaluate((n) => window.pulse.remove(n, 'todos', 't1'), name);
    // The three hooks re-render on their own: wait until each has heard the delete.
    const after = await waitFor('the delete', () => view(app), (v) => v.todos.length === 2 && v.open === '1' && v.first === '(none)');
    expect(after).toMatchObject({ todos: ['older', 'newest'], open: '1', first: '(none)' });
    expect(await h.pageErrors(app)).toEqual([]);
    await other.evaluate((n) => window.pulse.close(n), name);
    await app.evaluate(() => window.reactApp.unmount());
  }, 60_000);

  it('an index upgrade in a newer tab goes through; the older tab gets DATABASE_CLOSED', async () => {
    const name = `upgrade-${Date.now()}`;
    const device = await h.newDevice('react');
    const old = device.page;
    await old.evaluate((o) => window.reactApp.mount(o), options(name, device.serverUrl, { indexes: ['createdAt'] }));
    await old.evaluate(() => window.reactApp.add('t1', 'kept', 1));
    const newer = await device.openPage('react');
    await newer.evaluate((o) => window.reactApp.mount(o), options(name, device.serverUrl, { indexes: ['createdAt', 'title', ['done', 'createdAt']] }));
    await waitFor('the newer tab to show the record', () => view(newer), (v) => v.todos.length === 1);
    await waitFor('the older tab to be told', () => old.evaluate(() => window.reactApp.errors()), (e) => e.includes('DATABASE_CLOSED'));
    await expect(old.evaluate(() => window.reactApp.add('t2', 'refused', 2))).rejects.toThrow(/reload this tab/);
    await newer.evaluate(() => window.reactApp.unmount());
  }, 60_000);

  it('two app versions sync through one server: the newer migrates, the older keeps what it cannot read', async () => {
    const stamp = Date.now();
    const first = await h.newDevice('react');
    const second = await h.newDevice('react');
    const [v1, v2] = [first.page, second.page];
    await v1.evaluate((o) => window.reactApp.mount(o), options(`v1-${stamp}`, first.serverUrl));
    await v2.evaluate((o) => window.reactApp.mount(o), options(`v2-${stamp}`, second.serverUrl, { version2: true }));
    for (const page of [v1, v2]) await page.evaluate(() => window.reactApp.start());

    await v1.evaluate(() => window.reactApp.add('a', 'from v1', 1));
    await v1.evaluate(() => window.reactApp.syncOnce());
    await v2.evaluate(() => window.reactApp.syncOnce());
    await waitFor('v2 to show v1’s todo, migrated', () => view(v2), (v) => v.todos.includes('from v1 (normal)'));

    await v2.evaluate(() => window.reactApp.add('b', 'from v2', 2));
    await v2.evaluate(() => window.reactApp.syncOnce());
    await v1.evaluate(() => window.reactApp.add('c', 'v1 again', 3));
    await v1.evaluate(() => window.reactApp.syncOnce());
    await v2.evaluate(() => window.reactApp.syncOnce());
    const newer = await waitFor('v2 to show all three', () => view(v2), (v) => v.todos.length === 3);
    expect(newer.todos).toEqual(['from v1 (normal)', 'from v2', 'v1 again (normal)']);
    // v1 holds b (it counts it: counts include every version) but does not show it.
    const older = await waitFor('v1 to show its two', () => view(v1), (v) => v.todos.length === 2);
    expect(older.todos).toEqual(['from v1', 'v1 again']);
    for (const page of [v1, v2]) await page.evaluate(() => window.reactApp.unmount());
  }, 60_000);
});
