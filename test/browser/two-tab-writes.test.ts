/**
 * In every engine: two tabs of one app write to one replica at the same moment, each
 * through its own worker, one awaited put after another. A tab plans each write from
 * the one it made last and checks inside the transaction that no other tab moved the
 * write state meanwhile (`idb-local-log.ts`); here the other tab moves it all the
 * time. Every write must still get a seq of its own, one sequence without gaps, and
 * reach the server exactly once.
 */
import { describe, expect, it } from 'vitest';
import type { WriteReceipt } from '../../src/engine/acks.ts';
import type { EnginePage as Page } from '../../tools/browser-engine.ts';
import { useBrowserHarness } from '../support/browser-harness.ts';
import { engines } from '../support/engines.ts';
import { serverRecords, type ServerAddress } from '../support/server-records.ts';
import { waitFor } from '../support/wait.ts';
import './pages/client-api.ts';

/** Intervals longer than the test: pushes come from the nudges of writes. */
const QUIET = { pushIntervalMs: 120_000, pullIntervalMs: 120_000 } as const;
const PER_TAB = 60;

describe.each(engines)('two tabs writing at once in %s', (engine) => {
  const h = useBrowserHarness(engine);
  const direct = (): ServerAddress => ({ url: h.server.directUrl, token: h.server.token });

  it('gives every write of either tab a seq of its own, and the server each write once', async () => {
    const name = `two-writers-${Date.now()}`;
    const device = await h.newDevice();
    const tabs: Page[] = [device.page, await device.openPage()];
    for (const tab of tabs) await tab.evaluate((o) => window.pulse.open(o), { name, url: device.serverUrl, token: h.server.token, config: QUIET });
    await tabs[0]!.evaluate((n) => window.pulse.start(n), name);
    await waitFor('the leader’s first sync', () => tabs[0]!.evaluate((n) => window.pulse.status(n), name), (s) => s.lastSyncedAt !== null);

    const writeAll = (tab: Page, prefix: string): Promise<WriteReceipt[]> =>
      tab.evaluate(
        async ([n, p, count]) => {
          const receipts: WriteReceipt[] = [];
          for (let i = 0; i < count; i++) receipts.push(await window.pulse.put(n, 'notes', `${p}${i}`, { i }));
          return receipts;
        },
        [name, prefix, PER_TAB] as const,
      );
    const [first, second] = await Promise.all([writeAll(tabs[0]!, 'a'), writeAll(tabs[1]!, 'b')]);

    const seqs = [...first!, ...second!].map((r) => r.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 2 * PER_TAB }, (_, i) => i + 1));
    // Each tab's own writes are numbered in the order it made them.
    for (const receipts of [first!, second!]) expect(receipts.map((r) => r.seq)).toEqual([...receipts.map((r) => r.seq)].sort((x, y) => x - y));

    const records = await waitFor('every write on the server', () => serverRecords(direct(), 'notes'), (r) => r.size === 2 * PER_TAB);
    expect(records.get(`a${PER_TAB - 1}`)).toEqual({ i: PER_TAB - 1 });
    expect(records.get(`b${PER_TAB - 1}`)).toEqual({ i: PER_TAB - 1 });
    for (const tab of tabs) {
      await waitFor('nothing pending', () => tab.evaluate((n) => window.pulse.status(n), name), (s) => s.pending === 0);
      expect(await h.pageErrors(tab)).toEqual([]);
    }
    for (const tab of tabs) await tab.evaluate((n) => window.pulse.close(n), name);
  }, 90_000);
});
