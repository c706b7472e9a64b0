/**
 * Section 7: collections in Chromium, beside raw IndexedDB in the same page. Pages of
 * 50 read by an index out of 100,000 records (the SDK's query, answered in its worker
 * and sent to the page, against `index.getAll(range, 50)` in the page itself); putMany
 * of 10,000 with two declared indexes against the same writes with nothing declared and
 * raw IndexedDB with the same two indexes; and a live query's callback after a put in
 * another tab.
 */
import type { Page } from 'playwright-core';
import { launchChromium } from '../../tools/chromium.ts';
import { repeatWithin, type Budget } from '../lib/budget.ts';
import { serveBenchPages } from '../lib/pages.ts';
import { median, percentile, perSecond } from '../lib/stats.ts';
import type { ResultRow } from '../lib/table.ts';
import '../pages/query-api.ts';

const SECTION = '7 Collections: queries, indexes, live queries';
const SEEDED = { count: 100_000, bytes: 200 } as const;
const PAGES_PER_RUN = 20;
const WRITES = { count: 10_000, bytes: 150 } as const;
const LATENCY_SAMPLES = 60;
const ARRIVAL_TIMEOUT_MS = 5_000;

/** What the section needs. */
export interface QueriesOptions {
  readonly runs: number;
  readonly log: (message: string) => void;
  readonly budget: Budget;
}

async function queryPage(page: Page, url: string): Promise<void> {
  page.on('pageerror', (error) => console.error(`[query page] ${error.message}`));
  await page.goto(`${url}query.html`);
  await page.waitForFunction(() => 'pulseQuery' in window, undefined, { timeout: 30_000 });
}

/** Runs section 7; returns its rows. */
export async function runQueries(options: QueriesOptions): Promise<ResultRow[]> {
  const pages = await serveBenchPages();
  const browser = await launchChromium();
  const rows: ResultRow[] = [];
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await queryPage(page, pages.url);
    const name = `bench-query-${Date.now()}`;

    options.log(`queries: seeding ${SEEDED.count.toLocaleString('en-US')} records (SDK and raw)`);
    await page.evaluate((o) => window.pulseQuery.seed(o), { name, ...SEEDED });
    await page.evaluate((o) => window.pulseQuery.pages(o), { name, pages: 5, fromN: 0 }); // warm-up
    const sdkMs: number[] = [];
    const rawMs: number[] = [];
    const countMs: number[] = [];
    await repeatWithin(options.budget.slice(0.3), options.runs, async (r) => {
      // Each run pages from another place in the index (deterministic).
      const fromN = (r * 37_171) % (SEEDED.count - PAGES_PER_RUN * 50);
      const times = await page.evaluate((o) => window.pulseQuery.pages(o), { name, pages: PAGES_PER_RUN, fromN });
      sdkMs.push(...times.sdkMs);
      rawMs.push(...times.rawMs);
      countMs.push(...times.countMs);
    });
    const sdkP50 = percentile(sdkMs, 50);
    const rawP50 = percentile(rawMs, 50);
    rows.push(
      { section: SECTION, figure: 'query 50 by index of 100k, page to page: SDK p50', value: sdkP50, unit: 'ms', samples: sdkMs, note: `p99 ${percentile(sdkMs, 99).toFixed(2)} ms; worker query + the page hop` },
      { section: SECTION, figure: 'same pages, raw index.getAll in the page: p50', value: rawP50, unit: 'ms', samples: rawMs, note: `p99 ${percentile(rawMs, 99).toFixed(2)} ms` },
      { section: SECTION, figure: 'query page: SDK / raw (p50)', value: sdkP50 / rawP50, unit: 'x', target: '≤ 2×', met: sdkP50 / rawP50 <= 2 },
      { section: SECTION, figure: 'count() of the next 50 by the index (round trip, no records): p50', value: percentile(countMs, 50), unit: 'ms', samples: countMs, note: 'the floor of any query answered in the worker' },
    );

    options.log('queries: putMany 10k with two declared indexes, none, and raw');
    const rates = { indexed: [] as number[], plain: [] as number[], raw: [] as number[] };
    for (const mode of ['indexed', 'plain', 'raw'] as const) await page.evaluate((o) => window.pulseQuery.putMany(o), { count: 2_000, bytes: WRITES.bytes, mode });
    await repeatWithin(options.budget.slice(0.5), options.runs, async () => {
      for (const mode of ['indexed', 'plain', 'raw'] as const) {
        rates[mode].push(perSecond(WRITES.count, await page.evaluate((o) => window.pulseQuery.putMany(o), { ...WRITES, mode })));
      }
    });
    const [indexed, plain, raw] = [median(rates.indexed), median(rates.plain), median(rates.raw)];
    rows.push(
      { section: SECTION, figure: 'putMany 10k, 2 declared indexes (+ live)', value: indexed, unit: 'rec/s', samples: rates.indexed },
      { section: SECTION, figure: 'putMany 10k, nothing declared', value: plain, unit: 'rec/s', samples: rates.plain },
      { section: SECTION, figure: 'raw IndexedDB put ×10k, same 2 indexes, 1 tx', value: raw, unit: 'rec/s', samples: rates.raw },
      { section: SECTION, figure: 'putMany: 2 indexes / none (throughput)', value: indexed / plain, unit: 'x' },
      { section: SECTION, figure: 'putMany: 2 indexes / raw with 2 indexes', value: indexed / raw, unit: 'x', note: 'the SDK also writes the change log and keeps the live index' },
    );

    options.log('queries: live query callback after a put in another tab');
    const latencyName = `${name}-live`;
    const writer = await context.newPage();
    await queryPage(writer, pages.url);
    await page.evaluate((o) => window.pulseQuery.watchCount(o), { name: latencyName });
    await writer.evaluate((o) => window.pulseQuery.openWriter(o), { name: latencyName });
    const samples: number[] = [];
    let lost = 0;
    for (let k = 0; k < LATENCY_SAMPLES && (k < 10 || options.budget.allows(ARRIVAL_TIMEOUT_MS)); k++) {
      const arrived = page.evaluate((o) => window.pulseQuery.countArrival(o), { count: k + 1, timeoutMs: ARRIVAL_TIMEOUT_MS });
      const sentAt = await writer.evaluate((o) => window.pulseQuery.write(o), { name: latencyName, k });
      const at = await arrived;
      if (Number.isNaN(at)) lost++;
      else if (k > 0) samples.push(at - sentAt); // the first is a warm-up
      await new Promise((resolve) => setTimeout(resolve, 2 + (k % 7)));
    }
    const p50 = percentile(samples, 50);
    rows.push({
      section: SECTION,
      figure: 'live query callback after a put in another tab: p50',
      value: p50,
      unit: 'ms',
      target: '< 20 ms',
      met: p50 < 20,
      samples,
      note: `p99 ${percentile(samples, 99).toFixed(1)} ms${lost > 0 ? `; ${lost} lost` : ''}; put start in tab B → count callback in tab A`,
    });
    await writer.evaluate(() => window.pulseQuery.dispose());
    await page.evaluate(() => window.pulseQuery.dispose());
    await context.close();
  } finally {
    await browser.close();
    await pages.close();
  }
  return rows;
}
