/**
 * Chromium killed with SIGKILL — every process of it at once, as a power cut or the OS's
 * OOM killer would — while the worker applies an initial sync's pulled batches, which
 * commit with `durability: 'relaxed'` (their cursor in the same transaction). The profile
 * is on disk (an off-the-record profile keeps IndexedDB in RAM and would prove nothing).
 * After a restart on the same profile the replica must hold each record at most once,
 * and the cursor must agree with the data: the rest of the sync brings exactly the
 * records that were missing, none twice, and the replica ends complete.
 *
 * Chromium only: it is the engine whose processes this test can own and kill (started by
 * hand with a DevTools port, tools/chromium-on-disk.ts). Replay with
 * PULSESYNC_SEED=<seed printed>; PULSESYNC_CRASH_TRIALS=<n> for more crashes (default 4).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchOnDisk, type DiskChromium } from '../../tools/chromium-on-disk.ts';
import { seedRecords } from '../../tools/seed-records.ts';
import { seededRandom } from '../../src/testing/seeded-random.ts';
import './pages/page-api.ts';
import type { PageClientOptions } from './pages/client-api.ts';
import { engines } from '../support/engines.ts';
import { serveTestPages, type TestPages } from '../support/pages.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const RECORDS = 20_000;
const COLLECTIVE = 'seed';
const TRIALS = Number(process.env['PULSESYNC_CRASH_TRIALS'] ?? 4);
const SEED = Number(process.env['PULSESYNC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
/** Ten batches of 2,000: a crash lands inside a batch's apply or between two. */
const CONFIG = { collectives: [COLLECTIVE], batchSize: 2_000 } as const;

describe.runIf(engines.includes('chromium'))('Chromium killed during relaxed-durability applies', () => {
  let pages: TestPages;
  let server: TestServer;
  const profiles: string[] = [];
  const running = new Set<DiskChromium>();

  beforeAll(async () => {
    [pages, server] = await Promise.all([serveTestPages(), startTestServer()]);
    await seedRecords({ url: server.directUrl, token: server.token }, { count: RECORDS, bytes: 150, collective: COLLECTIVE });
  }, 120_000);

  afterAll(async () => {
    for (const chrome of running) await chrome.close();
    await pages?.close();
    await server?.stop();
    for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const options = (name: string): PageClientOptions => ({ name, url: server.url, token: server.token, config: CONFIG });

  /** Chromium on `profile`, with the test page open and ready. */
  async function startOn(profile: string): Promise<{ chrome: DiskChromium; page: Page }> {
    const chrome = await launchOnDisk({ userDataDir: profile });
    running.add(chrome);
    const page = await chrome.context.newPage();
    await page.goto(`${pages.url}client.html`);
    await page.waitForFunction(() => window.testPageReady === true, undefined, { timeout: 15_000 });
    return { chrome, page };
  }

  it(`reopens with the cursor and the data in agreement (${TRIALS} seeded crashes)`, async () => {
    console.log(`crash trials in Chromium: PULSESYNC_SEED=${SEED}`);
    const random = seededRandom(SEED);
    const outcomes: string[] = [];
    let midSync = 0;
    let estimateMs = 0;
    for (let trial = 0; midSync < TRIALS && trial < TRIALS * 3; trial++) {
      const profile = mkdtempSync(join(tmpdir(), 'pulsesync-crash-'));
      profiles.push(profile);
      const name = `crashed-${SEED}-${trial}`;
      let { chrome, page } = await startOn(profile);
      await page.evaluate((o) => window.pulse.open(o), options(name));
      if (estimateMs === 0) {
        // How long a whole sync takes here and now, so crash points spread over it.
        const started = Date.now();
        await page.evaluate((n) => window.pulse.initialSync(n), name);
        estimateMs = Date.now() - started;
        await page.evaluate((n) => window.pulse.close(n), name);
        await page.evaluate((n) => window.pulse.deleteDatabase(n), name);
        await page.evaluate((o) => window.pulse.open(o), options(name));
      }
      const fraction = 0.1 + random.next() * 0.8;
      const delayMs = Math.round(fraction * estimateMs);
      const context = `trial ${trial} (seed ${SEED}, crash at ${(fraction * 100).toFixed(0)}% = ${delayMs} ms of ~${estimateMs} ms)`;

      await page.evaluate((n) => window.pulse.beginInitialSync(n), name);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await chrome.crash();
      running.delete(chrome);

      ({ chrome, page } = await startOn(profile));
      await page.evaluate((o) => window.pulse.open(o), options(name));
      const kept = await page.evaluate(([n, c]) => window.pulse.census(n, c), [name, COLLECTIVE] as const);
      expect(kept.count, `${context}: a record twice after the crash`).toBe(kept.distinctIds);
      const final = await page.evaluate((n) => window.pulse.initialSync(n), name);
      const after = await page.evaluate(([n, c, e]) => window.pulse.census(n, c, e), [name, COLLECTIVE, RECORDS] as const);
      // The cursor agrees with the data: what the restart pulled is exactly what was missing.
      expect(final.totalPulled, `${context}: kept ${kept.count}, the cursor disagrees`).toBe(RECORDS - kept.count);
      expect(after, context).toMatchObject({ count: RECORDS, distinctIds: RECORDS, missingCount: 0, wrongValues: 0 });
      if (kept.count > 0 && kept.count < RECORDS) midSync++;
      outcomes.push(`${delayMs} ms→kept ${kept.count}`);
      await chrome.close();
      running.delete(chrome);
    }
    console.log(`crash trials (seed ${SEED}): ${midSync} mid-sync of ${outcomes.length}: ${outcomes.join('; ')}`);
    expect(midSync, `crashes that landed inside the sync (seed ${SEED})`).toBeGreaterThanOrEqual(TRIALS);
  }, 600_000);
});
