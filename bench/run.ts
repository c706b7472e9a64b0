/**
 * `npm run bench`: pulsesync measured against the limit of what it is built on, in the
 * same run. In headless Chromium, one page holds pulsesync (createSyncClient: worker,
 * Comlink, HTTP to a real server on 127.0.0.1), plain IndexedDB doing the same writes
 * and reads with the same row shape, batching and durability (the limit), Dexie and
 * RxDB (peers), and pieces of pulsesync alone (parts). Every section measures in rounds
 * through bench/lib/rounds.ts: order alternating round to round, a ratio per round,
 * median and range of those ratios, targets judged on the median. Prints one table and
 * writes .tmp/bench-result.json.
 *
 * Environment:
 *   BENCH_ROUNDS=3          rounds per section (at least 3 for a range worth reading)
 *   BENCH_ONLY=local,sync   sections to run: footprint, local, sync, latency, server, tail, queries, patch, wire, million
 *   BENCH_LOCAL=put         section 1 measures the awaited puts only; BENCH_LIMITS_ONLY=1 drops peers and parts (sections 1-3)
 *   BENCH_MILLION=1         adds the 1,000,000-record initial sync (BENCH_MILLION_ROUNDS, default 1)
 *   BENCH_PROFILE=1         only a CPU profile of the worker during a 100k initial sync
 *   BENCH_PROFILE=put       only CPU profiles of the worker and the page during awaited client.put calls
 *   CHROMIUM_PATH           default /usr/bin/chromium
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { killChildren } from '../tools/children.ts';
import { openBenchBrowser, type BenchBrowser } from './lib/bench-browser.ts';
import { budgetUntil } from './lib/budget.ts';
import { renderReport, type SectionReport } from './lib/report.ts';
import { failedSection, INITIAL, type Section, type SectionContext } from './lib/section.ts';
import { startSeededServer, type SeededServer } from './lib/seeded-server.ts';
import { footprintSection } from './sections/footprint.ts';
import { initialSyncSection } from './sections/initial-sync.ts';
import { latencySection } from './sections/latency.ts';
import { localWritesSection } from './sections/local-writes.ts';
import { millionSection } from './sections/million.ts';
import { wireBytesSection } from './sections/wire-bytes.ts';
import { profileSection } from './sections/profile.ts';
import { patchBytesSection } from './sections/patch-bytes.ts';
import { profilePutSection } from './sections/profile-put.ts';
import { queriesSection } from './sections/queries.ts';
import { serverSection } from './sections/server.ts';
import { serverTailSection } from './sections/server-tail.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULT_FILE = fileURLToPath(new URL('../.tmp/bench-result.json', import.meta.url));

const env = process.env;
const rounds = Math.max(1, Math.floor(Number(env['BENCH_ROUNDS'] ?? 3)) || 3);
const only = env['BENCH_ONLY'] === undefined ? undefined : new Set(env['BENCH_ONLY'].split(',').map((s) => s.trim()));
const profileOnly = env['BENCH_PROFILE'] === '1' || env['BENCH_PROFILE'] === 'put';

const plan: Section[] = profileOnly
  ? [env['BENCH_PROFILE'] === 'put' ? profilePutSection : profileSection]
  : [
      footprintSection, // first: seconds, and it needs no browser or server
      localWritesSection,
      initialSyncSection,
      latencySection,
      serverSection,
      serverTailSection, // 5b: push p99 under 50 clients mixed and 200 pushing, SQLite and Postgres
      queriesSection,
      patchBytesSection, // 10: seconds, no browser
      wireBytesSection, // 11: seconds, no browser
      ...(env['BENCH_MILLION'] === '1' ? [millionSection] : []),
    ].filter((s) => only === undefined || only.has(s.key));

const started = Date.now();
const log = (message: string): void => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${message}`);
const reports: SectionReport[] = [];

/** Hard stop: the sum of the sections' budgets and two minutes. */
const deadlineMs = plan.reduce((sum, s) => sum + s.minutes, 2) * 60_000;
let current = '';
const watchdog = setTimeout(() => {
  log(`deadline of ${deadlineMs / 60_000} min passed during ${current}; printing what was measured`);
  reports.push(failedSection(`${current}: stopped`, new Error('the run passed its deadline')));
  finish(2);
}, deadlineMs);
watchdog.unref();

// Shared by the browser sections, opened on first use.
let browser: Promise<BenchBrowser> | undefined;
let seeded: Promise<SeededServer> | undefined;
const shared = new Map<string, number>();

/** Prints the table, writes the JSON summary and exits. */
function finish(code: number): never {
  clearTimeout(watchdog);
  const order = (r: SectionReport): number => Number.parseFloat(r.title) || 99;
  const sorted = [...reports].sort((a, b) => order(a) - order(b));
  console.log(renderReport(sorted));
  mkdirSync(fileURLToPath(new URL('../.tmp/', import.meta.url)), { recursive: true });
  const summary = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage: loadavg() },
    settings: { rounds, only: only === undefined ? null : [...only], million: env['BENCH_MILLION'] === '1', profile: profileOnly },
    elapsedMs: Date.now() - started,
    sections: sorted,
  };
  writeFileSync(RESULT_FILE, `${JSON.stringify(summary, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote .tmp/bench-result.json`);
  killChildren();
  process.exit(code);
}

try {
  log(`${plan.map((s) => s.key).join(', ')}; ${rounds} rounds; deadline ${deadlineMs / 60_000} min`);
  for (const section of plan) {
    current = section.title;
    log(`${section.title}…`);
    const ctx: SectionContext = {
      root: ROOT,
      rounds,
      log,
      budget: budgetUntil(Date.now() + section.minutes * 60_000),
      browser: () => (browser ??= openBenchBrowser(log)),
      seeded: () => (seeded ??= startSeededServer(ROOT, INITIAL, log)),
      shared,
    };
    try {
      reports.push(...(await section.run(ctx)));
    } catch (error) {
      log(`${section.title} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      reports.push(failedSection(section.title, error));
    }
  }
} finally {
  await (await browser?.catch(() => undefined))?.close();
  await (await seeded?.catch(() => undefined))?.stop();
}
finish(0);
