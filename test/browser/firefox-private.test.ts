/**
 * Firefox in private browsing (every window private), where IndexedDB lives in memory
 * for the session — and where older Firefox refused it outright: the replica contract
 * passes there, and a private device syncs both ways and keeps its replica across a
 * reload. Runs when Firefox is among the engines of the run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { firefoxEngine } from '../../tools/firefox.ts';
import { useBrowserHarness } from '../support/browser-harness.ts';
import { openContractPage, registerPageTests } from '../support/contract-pages.ts';
import { engines } from '../support/engines.ts';
import { serverRecords } from '../support/server-records.ts';
import { waitFor } from '../support/wait.ts';
import './pages/client-api.ts';

const privateFirefox = (): ReturnType<typeof firefoxEngine> => firefoxEngine({ privateBrowsing: true });
const withFirefox = engines.includes('firefox');

// At the top level: vitest must know the page's tests while it collects this file.
const contract = withFirefox ? await openContractPage('replica', 'firefox', privateFirefox) : undefined;
afterAll(() => contract?.close());
if (contract !== undefined) describe('the replica contract in Firefox private browsing', () => registerPageTests(contract));

describe.runIf(withFirefox)('a device in Firefox private browsing', () => {
  const h = useBrowserHarness('firefox', { launch: privateFirefox });

  it('is private, syncs both ways, and keeps its replica across a reload', async () => {
    const { page, serverUrl } = await h.newDevice();
    // Private: Firefox refuses the origin-private file system in private windows.
    const opfs = await page.evaluate(() => navigator.storage.getDirectory().then(() => 'allowed', (error: Error) => error.name));
    expect(opfs).toBe('SecurityError');

    const other = await h.newDevice();
    const options = (name: string, url: string) => ({ name, url, token: h.server.token, config: { pushIntervalMs: 200, pullIntervalMs: 200 } });
    await other.page.evaluate((o) => window.pulse.open(o), options('other', other.serverUrl));
    await other.page.evaluate(() => window.pulse.put('other', 'notes', 'from-other', 1));
    await other.page.evaluate(() => window.pulse.syncOnce('other'));

    await page.evaluate((o) => window.pulse.open(o), options('private', serverUrl));
    await page.evaluate(() => window.pulse.put('private', 'notes', 'from-private', 2));
    await page.evaluate(() => window.pulse.start('private'));
    await waitFor('the private write on the server', () => serverRecords(h.server, 'notes'), (r) => r.has('from-private'));
    const ids = (): Promise<string[]> => page.evaluate(() => window.pulse.list('private', 'notes').then((l) => l.map((r) => r.id).sort()));
    await waitFor('the other device’s write here', ids, (l) => l.includes('from-other'));

    await h.reload(page);
    await page.evaluate((o) => window.pulse.open(o), options('private', serverUrl));
    expect(await ids()).toEqual(['from-other', 'from-private']);
    expect(await h.pageErrors(page)).toEqual([]);
    await page.evaluate(() => window.pulse.close('private'));
    await other.page.evaluate(() => window.pulse.close('other'));
  }, 60_000);
});
