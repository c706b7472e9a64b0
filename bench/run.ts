/**
 * `npm run bench`: measures pulsesync against the physical limit of IndexedDB in
 * headless Chromium, the server alone over loopback, and the bundle footprint. Prints
 * one table and writes bench-output/results.json. Every figure is the median of several
 * runs, and the SDK and its limits are measured side by side, interleaved run by run,
 * so their ratios hold on a noisy machine.
 *
 * Environment: BENCH_RUNS (default 5; initial sync and server use max(3, BENCH_RUNS-2)),
 * BENCH_ONLY (comma list of footprint,server,browser), CHROMIUM_PATH.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { killChildren } from './lib/children.ts';
import { renderTable, type ResultRow } from './lib/table.ts';
import { runFootprint } from './sections/footprint.ts';
import { runServer } from './sections/server.ts';
import { runBrowser } from './sections/browser.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT_DIR = fileURLToPath(new URL('../bench-output/', import.meta.url));
/** Hard stop: the whole run must end within 10 minutes. */
const DEADLINE_MS = 9.5 * 60_000;

const runs = Math.max(1, Number(process.env['BENCH_RUNS'] ?? 5));
const only = new Set((process.env['BENCH_ONLY'] ?? 'footprint,server,browser').split(',').map((s) => s.trim()));

const watchdog = setTimeout(() => {
  console.error(`bench: deadline of ${DEADLINE_MS / 60_000} minutes passed; stopping`);
  killChildren();
  process.exit(2);
}, DEADLINE_MS);
watchdog.unref();

const started = Date.now();
const rows: ResultRow[] = [];
const log = (message: string): void => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${message}`);

async function section(name: string, run: () => Promise<ResultRow[]>, fallbackSection: string): Promise<void> {
  if (!only.has(name)) return;
  log(`${name}…`);
  try {
    rows.push(...(await run()));
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    rows.push({ section: fallbackSection, figure: `${name} section`, value: `failed: ${message}`, unit: '' });
    log(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

try {
  await section('browser', () => runBrowser({ root: ROOT, runs, log }), '1–3 Browser');
  await section('server', () => runServer({ root: ROOT, runs: Math.max(3, runs - 2), log }), '4 Server');
  await section('footprint', () => runFootprint({ root: ROOT }), '5 Footprint');
} finally {
  killChildren();
}

const order = (s: string): number => Number.parseFloat(s) || 99;
rows.sort((a, b) => order(a.section) - order(b.section));
const table = renderTable(rows);
console.log(table);
mkdirSync(OUT_DIR, { recursive: true });
writeFileSync(
  `${OUT_DIR}results.json`,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
      runs,
      elapsedMs: Date.now() - started,
      rows,
    },
    null,
    2,
  )}\n`,
);
log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote bench-output/results.json`);
clearTimeout(watchdog);
process.exit(0);
