/**
 * In every engine, the replica's IndexedDB connection taken away under the worker (by
 * lost-connection-worker.ts), the ways Safari does it: closed with a `close` event,
 * lost with no event ("Connection to Indexed Database server lost"), and lost with the
 * database deleted behind it ("Database deleted by request of the user"). A lost
 * connection is reopened once and nothing is lost; a deleted database is not quietly
 * recreated: calls fail and the sync status says `DATABASE_CLOSED`.
 */
import { describe, expect, it } from 'vitest';
import type { EnginePage } from '../../tools/browser-engine.ts';
import { useBrowserHarness } from '../support/browser-harness.ts';
import { engines } from '../support/engines.ts';
import { serverRecords } from '../support/server-records.ts';
import { waitFor } from '../support/wait.ts';
import type { LoseConnectionHow } from './pages/lost-connection-api.ts';
import './pages/client-api.ts';

const CONFIG = { pushIntervalMs: 200, pullIntervalMs: 200, retry: { initialDelayMs: 100, maxDelayMs: 1_000 } } as const;

async function ids(page: EnginePage, name: string): Promise<string[]> {
  return (await page.evaluate(([n, c]) => window.pulse.list(n, c), [name, 'notes'] as const)).map((r) => r.id).sort();
}

describe.each(engines)('the database connection lost under the worker in %s', (engine) => {
  const h = useBrowserHarness(engine);

  /** A syncing client of `name` with one record written and pushed. */
  async function syncingClient(name: string): Promise<EnginePage> {
    const { page, serverUrl } = await h.newDevice();
    await page.evaluate((o) => window.pulse.open(o), { name, url: serverUrl, token: h.server.token, config: CONFIG, losableWorker: true });
    await page.evaluate((n) => window.pulse.put(n, 'notes', 'before', 1), name);
    await page.evaluate((n) => window.pulse.start(n), name);
    await waitFor('the first write on the server', () => serverRecords(h.server, 'notes'), (r) => r.has('before'));
    return page;
  }

  for (const how of ['close-event', 'silent'] as const satisfies readonly LoseConnectionHow[]) {
    it(`${how === 'silent' ? 'lost with no close event' : 'closed by the browser'}: reopened once, writes go on and sync`, async () => {
      const name = `lost-${how}`;
      const page = await syncingClient(name);
      expect(await page.evaluate(([n, w]) => window.pulse.loseConnection(n, w), [name, how] as const)).toBeGreaterThanOrEqual(1);

      await page.evaluate((n) => window.pulse.put(n, 'notes', 'after', 2), name);
      expect(await ids(page, name)).toEqual(['after', 'before']);
      await waitFor('the write after the loss on the server', () => serverRecords(h.server, 'notes'), (r) => r.has('after'));
      const status = await waitFor('nothing pending', () => page.evaluate((n) => window.pulse.status(n), name), (s) => s.pending === 0);
      expect(status.error).toBeUndefined();
      expect(await page.evaluate((n) => window.pulse.events(n).errors.map((e) => e.code), name)).not.toContain('DATABASE_CLOSED');
      expect(await h.pageErrors(page)).toEqual([]);
      await page.evaluate((n) => window.pulse.close(n), name);
    }, 60_000);
  }

  it('deleted behind the connection: not recreated; calls fail and status says DATABASE_CLOSED', async () => {
    const name = 'lost-deleted';
    const page = await syncingClient(name);
    expect(await page.evaluate((n) => window.pulse.loseConnection(n, 'deleted'), name)).toBeGreaterThanOrEqual(1);

    const failed = await page.evaluate((n) => window.pulse.put(n, 'notes', 'after', 2).then(() => 'written', (error: Error) => error.message), name);
    expect(failed).toMatch(/^\[DATABASE_CLOSED\] .*deleted/);
    const status = await waitFor(
      'status DATABASE_CLOSED',
      () => page.evaluate((n) => window.pulse.status(n), name),
      (s) => s.state === 'error' && s.error?.code === 'DATABASE_CLOSED',
    );
    expect(status.error?.message).toMatch(/deleted/);
    // Not quietly recreated as an empty replica under a new identity: no database of that
    // name at any version (WebKit lists the one its aborted reopen made, at version 0).
    const left = await page.evaluate((n) => indexedDB.databases().then((all) => all.filter((d) => d.name === n)), name);
    console.log(`after the delete in ${engine}: ${JSON.stringify(left)}`);
    expect(left.filter((d) => (d.version ?? 0) > 0)).toEqual([]);
    await page.evaluate((n) => window.pulse.close(n), name);
  }, 60_000);
});
