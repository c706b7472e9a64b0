/**
 * A 20,000-record initial sync in every engine, against the real server seeded over
 * the wire from Node:
 * - the page's main thread stays responsive (no long task: the work is in the worker;
 *   Chromium only, the one engine with the Long Tasks API);
 * - the worker is killed at seeded random points of the sync — `Worker.terminate()`, a
 *   page reload (the worker dies with the document, mid-transaction), or the client's
 *   own `close()` — and, after a restart, the replica ends
 *   with every record exactly once and a progress total that matches what was left.
 *
 * Replay a run with PULSESYNC_SEED=<seed printed> (the same kill methods and points as
 * fractions of a sync; the milliseconds follow the machine); PULSESYNC_KILL_TRIALS=<n>
 * for more kills (default 20).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { EnginePage as Page } from '../../tools/browser-engine.ts';
import { seedRecords } from '../../tools/seed-records.ts';
import { seededRandom } from '../../src/testing/seeded-random.ts';
import { useBrowserHarness } from '../support/browser-harness.ts';
import { engines } from '../support/engines.ts';
import { waitFor } from '../support/wait.ts';
import type { LongTaskReport, PageClientOptions } from './pages/client-api.ts';

type EngineConfig = NonNullable<PageClientOptions['config']>;

const RECORDS = 20_000;
const COLLECTIVE = 'seed';
const TRIALS = Number(process.env['PULSESYNC_KILL_TRIALS'] ?? 20);
const SEED = Number(process.env['PULSESYNC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
/** What an app gets by default (batches of 500): the responsiveness check runs on it. */
const DEFAULT_CONFIG = { collectives: [COLLECTIVE] } as const;
/** Ten batches of 2,000 keep the trials cheap; kill points still land inside and between them. */
const KILL_CONFIG = { collectives: [COLLECTIVE], batchSize: 2_000 } as const;
/** A long task is ≥ 50 ms by definition; on a shared, noisy machine one may come from elsewhere. */
const RESPONSIVENESS_ATTEMPTS = 3;

describe.each(engines)('a 20,000-record initial sync in %s', (engine) => {
  const h = useBrowserHarness(engine);
  let page: Page;
  let serverUrl: string;
  const options = (name: string, config: EngineConfig): PageClientOptions => ({ name, url: serverUrl, token: h.server.token, config });

  beforeAll(async () => {
    await seedRecords({ url: h.server.directUrl, token: h.server.token }, { count: RECORDS, bytes: 150, collective: COLLECTIVE });
    ({ page, serverUrl } = await h.newDevice());
  }, 120_000);

  /** Opens a fresh replica, syncs it fully, checks it, and deletes it. */
  async function fullSync(name: string, config: EngineConfig): Promise<{ ms: number; longTasks: LongTaskReport }> {
    await page.evaluate((o) => window.pulse.open(o), options(name, config));
    await page.evaluate(() => window.pulse.watchLongTasks());
    const started = Date.now();
    const progress = await page.evaluate((n) => window.pulse.initialSync(n), name);
    const ms = Date.now() - started;
    const longTasks = await page.evaluate(() => window.pulse.longTasks());
    expect(progress).toMatchObject({ totalPulled: RECORDS, total: RECORDS, hasMore: false });
    expect(await page.evaluate(([n, c, e]) => window.pulse.census(n, c, e), [name, COLLECTIVE, RECORDS] as const)).toMatchObject({
      count: RECORDS,
      distinctIds: RECORDS,
      missingCount: 0,
      wrongValues: 0,
    });
    await page.evaluate((n) => window.pulse.close(n), name);
    await page.evaluate((n) => window.pulse.deleteDatabase(n), name);
    return { ms, longTasks };
  }

  // The Long Tasks API (PerformanceObserver 'longtask') exists in Chromium alone.
  it.runIf(engine === 'chromium')('keeps the main thread free of long tasks', async () => {
    // The instrument works here: a task made long on purpose is seen.
    await page.evaluate(() => window.pulse.watchLongTasks());
    await page.evaluate(() => window.pulse.blockMainThread(120));
    const control = await waitFor('the deliberate long task to be reported', () => page.evaluate(() => window.pulse.longTasks()), (r) => r.count > 0, { timeoutMs: 5_000 });
    expect(control.longestMs).toBeGreaterThanOrEqual(100);

    const reports: LongTaskReport[] = [];
    for (let attempt = 1; attempt <= RESPONSIVENESS_ATTEMPTS; attempt++) {
      const run = await fullSync(`responsive-${attempt}`, DEFAULT_CONFIG);
      reports.push(run.longTasks);
      console.log(`initial sync of ${RECORDS} took ${run.ms} ms; main-thread long tasks: ${run.longTasks.count}, longest ${run.longTasks.longestMs.toFixed(0)} ms`);
      // SDK work on the main thread shows up every time; a stray task from a busy machine does not.
      if (run.longTasks.count === 0) break;
    }
    expect(reports.at(-1)?.count, `long tasks on every attempt: ${JSON.stringify(reports.map((r) => r.entries))}`).toBe(0);
  }, 180_000);

  it(`finishes with every record exactly once after its worker is killed mid-sync (${TRIALS} seeded kills)`, async () => {
    console.log(`kill trials in ${engine}: PULSESYNC_SEED=${SEED}`);
    const random = seededRandom(SEED);
    // Kill points are spread over how long a full sync takes here and now: measured once,
    // then re-estimated from each restart (a shared machine's speed drifts).
    let estimateMs = (await fullSync(`calibration-${SEED}`, KILL_CONFIG)).ms;
    const outcomes: string[] = [];
    let midSync = 0;
    // A kill after the last batch proves little, so trials go on until TRIALS kills landed mid-sync.
    for (let trial = 0; midSync < TRIALS && trial < TRIALS * 2; trial++) {
      const name = `killed-${SEED}-${trial}`;
      const fraction = random.next() * 0.9;
      const delayMs = Math.round(fraction * estimateMs);
      const how = random.pick(['reload', 'terminate', 'close'] as const);
      const context = `trial ${trial} (seed ${SEED}, kill by ${how} at ${(fraction * 100).toFixed(0)}% = ${delayMs} ms)`;

      await page.evaluate((o) => window.pulse.open(o), { ...options(name, KILL_CONFIG), ownWorker: true });
      await page.evaluate((n) => window.pulse.beginInitialSync(n), name);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (how === 'reload') await h.reload(page);
      else if (how === 'terminate') await page.evaluate((n) => window.pulse.terminate(n), name);
      else await page.evaluate((n) => window.pulse.close(n), name);

      // Restart: what the replica kept is exactly what the rest of the sync must not resend.
      await page.evaluate((o) => window.pulse.open(o), options(name, KILL_CONFIG));
      const kept = await page.evaluate(([n, c]) => window.pulse.census(n, c), [name, COLLECTIVE] as const);
      expect(kept.count, context).toBe(kept.distinctIds);
      const restarted = Date.now();
      const final = await page.evaluate((n) => window.pulse.initialSync(n), name);
      const restartMs = Date.now() - restarted;
      const progress = await page.evaluate((n) => window.pulse.events(n).progress, name);
      const after = await page.evaluate(([n, c, e]) => window.pulse.census(n, c, e), [name, COLLECTIVE, RECORDS] as const);

      expect(after, context).toMatchObject({ count: RECORDS, distinctIds: RECORDS, missingCount: 0, wrongValues: 0 });
      // Pulled after the restart + kept before it = all, so nothing came twice.
      expect(final.totalPulled, context).toBe(RECORDS - kept.count);
      expect(final.hasMore, context).toBe(false);
      if (kept.count < RECORDS) {
        midSync++;
        expect(progress[0]?.total, `${context}: total announced on the first batch`).toBe(RECORDS - kept.count);
        expect(final.total, context).toBe(RECORDS - kept.count);
        expect(progress.every((p) => p.total === RECORDS - kept.count), context).toBe(true);
      }
      if (final.totalPulled >= RECORDS / 4) estimateMs = Math.round((estimateMs + (restartMs * RECORDS) / final.totalPulled) / 2);
      outcomes.push(`${how}@${delayMs}ms→kept ${kept.count}`);

      await page.evaluate((n) => window.pulse.close(n), name);
      const blockedMs = await page.evaluate((n) => window.pulse.deleteDatabase(n), name);
      if (blockedMs > 0) outcomes.push(`(delete blocked ${blockedMs.toFixed(0)} ms by a connection of the killed worker)`);
      if (blockedMs < 0) outcomes.push('(delete still blocked after 10 s by a connection of the killed worker: left queued)');
    }
    console.log(`kill trials in ${engine} (seed ${SEED}): ${midSync} mid-sync of ${outcomes.length}: ${outcomes.join('; ')}`);
    expect(midSync, `kills that landed before the sync ended (seed ${SEED})`).toBeGreaterThanOrEqual(TRIALS);
    expect(await h.pageErrors(page)).toEqual([]);
  }, 540_000);
});
