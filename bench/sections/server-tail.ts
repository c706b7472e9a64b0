/**
 * Section 5b: the server's tail under load (issue 15, item 5). The real
 * `pulsesync-server` command, in its own process on 127.0.0.1, over SQLite and over
 * Postgres, each run on fresh storage, driven by wire-protocol clients in this process
 * (bench/lib/server-load.ts, one keep-alive connection each):
 * - 50 clients mixed: each pushes 100 new records, then pulls a page of up to 500 after
 *   its cursor (the other clients' records), and again, as a syncing app does. Target:
 *   push p99 under 500 ms. Beside it, in the same round on a server of its own, one
 *   client alone doing the same: the server's latency with nobody in its way.
 * - 200 clients pushing 100 records back to back.
 * Each is bounded in rounds per client and in seconds. Section 5 measures throughput
 * of a push phase and of a pull phase apart; this one, requests of both kinds at once,
 * which is where a push waits.
 *
 * The load generator shares the machine's cores with the server (and Postgres): the
 * rows say what it used, and the figures are floors of what a server with a machine of
 * its own would do. The machine's load average at the start of each run is printed,
 * because other work on a shared machine moves every figure here.
 */
import { loadavg } from 'node:os';
import { startPostgres } from '../../tools/postgres.ts';
import { startServerProcess } from '../../tools/server-process.ts';
import { budgetUntil, type Budget } from '../lib/budget.ts';
import { postgresStorage, sqliteStorage, type LoadStorage } from '../lib/load-storage.ts';
import { comparisonNotes, comparisonRows, figureRow, type SectionReport } from '../lib/report.ts';
import { runRounds, type Comparison, type Sample, type SideFigure } from '../lib/rounds.ts';
import type { Section, SectionContext } from '../lib/section.ts';
import { childrenCpuMs, serverLoad, type ServerLoadOptions, type ServerLoadResult } from '../lib/server-load.ts';

/** Changes per push and JSON bytes per value, as section 5 pushes. */
const RECORDS = { batch: 100, bytes: 200 } as const;
/** The target: push p99 with 50 clients mixed, in ms. */
const PUSH_P99_BELOW_MS = 500;

/** A load: its clients, what they do, and its bounds. */
type Load = Pick<ServerLoadOptions, 'clients' | 'mode' | 'requestsPerClient' | 'maxMs'>;

const MIXED_50: Load = { clients: 50, mode: 'mixed', requestsPerClient: 20, maxMs: 20_000 };
const PUSH_200: Load = { clients: 200, mode: 'push-only', requestsPerClient: 10, maxMs: 20_000 };
/** The same-round reference of {@link MIXED_50}: one client, so a p99 of 200 pushes. */
const ALONE: Load = { clients: 1, mode: 'mixed', requestsPerClient: 200, maxMs: 5_000 };
/** Untimed, on every fresh server before its run: compiles the server's hot paths. */
const WARM_UP: Load = { clients: 10, mode: 'mixed', requestsPerClient: 5, maxMs: 5_000 };

/** Starts a server on fresh storage, warms it up, runs `load` on it, stops it. */
async function runOn(ctx: SectionContext, storage: LoadStorage, load: Load): Promise<ServerLoadResult> {
  const server = await startServerProcess(ctx.root, await storage.fresh());
  try {
    const target = { url: server.url, token: server.token };
    await serverLoad(target, { ...WARM_UP, ...RECORDS, collective: 'warm-up' });
    return await serverLoad(target, { ...load, ...RECORDS, collective: 'load', serverCpuMs: childrenCpuMs });
  } finally {
    await server.stop();
  }
}

const SIDES = {
  pushP50: { key: 'pushP50', label: 'push p50', unit: 'ms' },
  pullP50: { key: 'pullP50', label: 'pull p50', unit: 'ms' },
  pullP99: { key: 'pullP99', label: 'pull p99', unit: 'ms' },
  pushes: { key: 'pushes', label: 'pushes answered a second', unit: 'req/s' },
  records: { key: 'records', label: 'records pushed a second', unit: 'rec/s' },
  pulled: { key: 'pulled', label: 'records pulled a second', unit: 'rec/s' },
  cpu: { key: 'cpu', label: "server's CPU per request (its process; Postgres not counted)", unit: 'ms' },
  generator: { key: 'generator', label: "load generator's CPU, share of one core", unit: '%' },
  errors: { key: 'errors', label: 'failed requests (non-200)', unit: 'count' },
  load: { key: 'load', label: 'machine load average (1 min) at the start', unit: 'load' },
} as const satisfies Record<string, SideFigure>;

/** One run's figures: push p99 as the value, the rest beside it. */
function sample(result: ServerLoadResult, loadAtStart: number): Sample {
  const { push, pull } = result;
  const requests = push.requests + (pull?.requests ?? 0);
  return {
    value: push.p99Ms,
    side: {
      pushP50: push.p50Ms,
      pullP50: pull?.p50Ms ?? Number.NaN,
      pullP99: pull?.p99Ms ?? Number.NaN,
      pushes: push.requestsPerSec,
      records: push.recordsPerSec,
      pulled: pull?.recordsPerSec ?? Number.NaN,
      cpu: result.serverCpuMs / requests,
      generator: (100 * result.generatorCpuMs) / result.ms,
      errors: push.errors + (pull?.errors ?? 0),
      load: loadAtStart,
    },
    info: `${push.requests} pushes${pull === undefined ? '' : ` and ${pull.requests} pulls`} in ${(result.ms / 1000).toFixed(1)} s`,
  };
}

function measured(ctx: SectionContext, storage: LoadStorage, load: Load): () => Promise<Sample> {
  return async () => {
    const loadAtStart = loadavg()[0] ?? Number.NaN;
    return sample(await runOn(ctx, storage, load), loadAtStart);
  };
}

function comparisons(ctx: SectionContext, storage: LoadStorage): Comparison[] {
  const { kind } = storage;
  const mixed = `${kind}, ${MIXED_50.clients} clients mixed (push ${RECORDS.batch}, pull ≤ 500): push p99`;
  const pushOnly = `${kind}, ${PUSH_200.clients} clients pushing ${RECORDS.batch} records back to back: push p99`;
  return [
    {
      label: mixed,
      unit: 'ms',
      better: 'lower',
      target: { below: PUSH_P99_BELOW_MS },
      side: [SIDES.pushP50, SIDES.pullP50, SIDES.pullP99, SIDES.pushes, SIDES.records, SIDES.pulled, SIDES.cpu, SIDES.generator, SIDES.errors, SIDES.load],
      subject: { label: mixed, run: measured(ctx, storage, MIXED_50) },
      references: [{ role: 'limit', label: `${kind}, one client alone doing the same: push p99 (${ALONE.requestsPerClient} pushes)`, run: measured(ctx, storage, ALONE) }],
      note: `bounds: ${MIXED_50.requestsPerClient} rounds a client or ${MIXED_50.maxMs / 1000} s; the "limit" is the server's own latency with nobody in its way`,
    },
    {
      label: pushOnly,
      unit: 'ms',
      better: 'lower',
      side: [SIDES.pushP50, SIDES.pushes, SIDES.records, SIDES.cpu, SIDES.generator, SIDES.errors, SIDES.load],
      subject: { label: pushOnly, run: measured(ctx, storage, PUSH_200) },
      note: `bounds: ${PUSH_200.requestsPerClient} pushes a client or ${PUSH_200.maxMs / 1000} s; no target (a closed loop of 200 clients waits ${PUSH_200.clients} ÷ throughput on average)`,
    },
  ];
}

const title = (kind: string): string => `5b Server tail, ${kind}: wire-protocol clients on 127.0.0.1, server in its own process`;

async function measure(ctx: SectionContext, storage: LoadStorage, budget: Budget): Promise<SectionReport> {
  const outcome = await runRounds({ section: `server tail ${storage.kind}`, rounds: ctx.rounds, budget, log: ctx.log, comparisons: comparisons(ctx, storage) });
  return {
    title: title(storage.kind),
    rows: outcome.results.flatMap(comparisonRows),
    notes: [
      'every run on a fresh server and empty storage, warmed up untimed first; the load generator runs in the bench process on the same cores',
      ...outcome.results.flatMap(comparisonNotes),
    ],
    rounds: { run: outcome.roundsRun, asked: outcome.roundsAsked },
    results: outcome.results,
  };
}

/** SQLite, then Postgres (skipped, saying why, when it cannot run or time is out). */
async function runServerTail(ctx: SectionContext): Promise<SectionReport[]> {
  const reports: SectionReport[] = [];
  const sqlite = sqliteStorage();
  try {
    // Half the time for SQLite, so that Postgres gets its rounds too.
    reports.push(await measure(ctx, sqlite, budgetUntil(Date.now() + Math.max(0, ctx.budget.left()) / 2)));
  } finally {
    sqlite.dispose();
  }
  const skipped = (why: string): SectionReport => ({ title: title('Postgres'), rows: [figureRow('push / pull', why, '')], notes: [] });
  if (!ctx.budget.allows(30_000)) return [...reports, skipped('skipped: out of time budget')];
  const cluster = await startPostgres(ctx.log);
  if (cluster === undefined) return [...reports, skipped('skipped: PostgreSQL binaries or user missing')];
  try {
    reports.push(await measure(ctx, postgresStorage(cluster), ctx.budget));
  } catch (error) {
    reports.push(skipped(`failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`));
  } finally {
    cluster.stop();
  }
  return reports;
}

/** Section 5b. */
export const serverTailSection: Section = { key: 'tail', title: '5b Server tail', minutes: 12, run: runServerTail };
