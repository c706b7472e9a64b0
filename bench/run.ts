/**
 * `npm run bench`: measures pulsesync against the physical limit of IndexedDB in
 * headless Chromium, the server alone over loopback, and the bundle footprint. Prints
 * one table and writes bench-output/results.json. Every figure is the median of several
 * runs, and the SDK and its limits are measured side by side, interleaved run by run,
 * so their ratios hold on a noisy machine.
 *
 * Time: sections get budgets (browser by 7 min, server by 9) and run fewer repetitions
 * rather than overrun; a watchdog at 9.5 min prints what was measured and exits.
 *
 * Environment: BENCH_RUNS (default 5; initial sync and server use max(3, BENCH_RUNS-2)),
 * BENCH_ONLY (comma list of footprint,server,browser,queries), CHROMIUM_PATH.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { budgetUntil } from './lib/budget.ts';
import { killChildren } from '../tools/children.ts';
import { renderTable, type ResultRow } from './lib/table.ts';
import { runFootprint } from './sections/footprint.ts';
import { runServer } from './sections/server.ts';
import { runBrowser } from './sections/browser.ts';
import { runQueries } from './sections/queries.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT_DIR = fileURLToPath(new URL('../bench-output/', import.meta.url));
/** Hard stop: the whole run must end within 10 minutes. */
const DEADLINE_MS = 9.5 * 60_000;

const runs = Math.max(1, Number(process.env['BENCH_RUNS'] ?? 5));
const only = new Set((process.env['BENCH_ONLY'] ?? 'footprint,server,browser,queries').split(',').map((s) => s.trim()));

const started = Date.now();
const rows: ResultRow[] = [];
const log = (message: string): void => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${message}`);

/** Section budgets (from the start): the browser sections by 7 min, the server by 9. */
const BROWSER_DONE_MS = 7 * 60_000;
const SERVER_DONE_MS = 9 * 60_000;
/** Collections (section 7) run after the browser sections, within 8 min. */
const QUERIES_DONE_MS = 8 * 60_000;
const SECTION_QUERIES = '7 Collections: queries, indexes, live queries';

let current = '';
const watchdog = setTimeout(() => {
  console.error(`bench: deadline of ${DEADLINE_MS / 60_000} minutes passed during ${current}; printing what was measured`);
  killChildren();
  rows.push({ section: '9 Run', figure: `${current} section`, value: 'stopped: deadline passed', unit: '' });
  finish(2);
}, DEADLINE_MS);
watchdog.unref();

async function section(name: string, run: () => Promise<ResultRow[]>, fallbackSection: string): Promise<void> {
  if (!only.has(name)) return;
  current = name;
  log(`${name}…`);
  try {
    rows.push(...(await run()));
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    rows.push({ section: fallbackSection, figure: `${name} section`, value: `failed: ${message}`, unit: '' });
    log(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

/** Prints the table, writes results.json and exits. */
function finish(code: number): never {
  const order = (s: string): number => Number.parseFloat(s) || 99;
  const sorted = [...rows].sort((a, b) => order(a.section) - order(b.section));
  console.log(renderTable(sorted));
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(
    `${OUT_DIR}results.json`,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage: loadavg() },
        runs,
        elapsedMs: Date.now() - started,
        rows: sorted,
      },
      null,
      2,
    )}\n`,
  );
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote bench-output/results.json`);
  clearTimeout(watchdog);
  process.exit(code);
}

try {
  // Footprint first: a few seconds, and it needs no browser or server.
  await section('footprint', () => runFootprint({ root: ROOT }), '5 Footprint');
  await section('browser', () => runBrowser({ root: ROOT, runs, log, budget: budgetUntil(started + BROWSER_DONE_MS) }), '1–3 Browser');
  await section('queries', () => runQueries({ runs: Math.max(3, runs - 2), log, budget: budgetUntil(started + QUERIES_DONE_MS) }), SECTION_QUERIES);
  await section('server', () => runServer({ root: ROOT, runs: Math.max(3, runs - 2), log, budget: budgetUntil(started + SERVER_DONE_MS) }), '4 Server');
} finally {
  killChildren();
}
finish(0);
