/**
 * Section 5: the server alone — the real `pulsesync-server` command on 127.0.0.1, over
 * SQLite and over Postgres — driven by 50 concurrent wire-protocol clients in this Node
 * process (bench/lib/server-load.ts). Each run starts a fresh server on empty storage,
 * pushes, then pulls what was pushed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { budgetUntil, type Budget } from '../lib/budget.ts';
import { startPostgres, type PgCluster } from '../../tools/postgres.ts';
import { pullLoad, pushLoad, type LoadResult } from '../lib/server-load.ts';
import { startServerProcess, type ServerProcess } from '../../tools/server-process.ts';
import { comparisonNotes, comparisonRows, figureRow, type SectionReport } from '../lib/report.ts';
import { runRounds, type Comparison, type RoundsOutcome } from '../lib/rounds.ts';
import type { Section, SectionContext } from '../lib/section.ts';

/** 50 clients × 10 pushes × 100 changes = 50k records pushed per run. */
const PUSH = { clients: 50, requestsPerClient: 10, batch: 100, bytes: 200 } as const;
/** 50 clients × 10 pulls × 500 changes = 250k rows served per run. */
const PULL = { clients: 50, requestsPerClient: 10, batch: 500 } as const;

/** How to start one server over one storage, fresh each run. */
interface Backend {
  readonly kind: 'SQLite' | 'Postgres';
  start(run: number): Promise<ServerProcess>;
  cleanup(): Promise<void>;
}

function sqliteBackend(root: string): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'pulsesync-bench-sqlite-'));
  return {
    kind: 'SQLite',
    start: (run) => startServerProcess(root, ['--db', join(dir, `run-${run}.db`)]),
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresBackend(root: string, cluster: PgCluster): Backend {
  return {
    kind: 'Postgres',
    async start(run) {
      const admin = new pg.Client({ connectionString: cluster.connectionString });
      await admin.connect();
      await admin.query(`CREATE DATABASE bench_${run}`);
      await admin.end();
      return startServerProcess(root, ['--postgres', cluster.connectionString.replace(/\/postgres$/, `/bench_${run}`)]);
    },
    async cleanup() {
      cluster.stop();
    },
  };
}

function loadComparison(kind: Backend['kind'], what: 'push' | 'pull', batch: number, run: () => Promise<LoadResult>): Comparison {
  return {
    label: `${kind} ${what}, ${batch} changes/request`,
    unit: 'rec/s',
    better: 'higher',
    side: [
      { key: 'requests', label: 'requests served', unit: 'req/s' },
      { key: 'p99', label: 'p99 request latency', unit: 'ms' },
      { key: 'errors', label: 'failed requests (non-200)', unit: 'count' },
    ],
    subject: {
      label: `${kind} ${what}, ${batch} changes/request`,
      async run() {
        const r = await run();
        return { value: r.recordsPerSec, side: { requests: r.requestsPerSec, p99: r.p99Ms, errors: r.errors } };
      },
    },
  };
}

async function measure(backend: Backend, ctx: SectionContext, budget: Budget): Promise<RoundsOutcome> {
  let server: ServerProcess | undefined;
  let pushed = 0;
  const target = (): { url: string; token: string } => {
    if (server === undefined) throw new Error('no server this round');
    return { url: server.url, token: server.token };
  };
  try {
    return await runRounds({
      section: `server ${backend.kind}`,
      rounds: ctx.rounds,
      budget,
      log: ctx.log,
      // Each round a fresh server on empty storage: it pushes, then pulls what was pushed.
      beforeRound: async (round) => {
        server = await backend.start(round);
      },
      afterRound: async () => {
        await server?.stop();
        server = undefined;
      },
      comparisons: [
        loadComparison(backend.kind, 'push', PUSH.batch, async () => {
          const r = await pushLoad(target(), { ...PUSH, collective: 'load' });
          pushed = r.records;
          return r;
        }),
        loadComparison(backend.kind, 'pull', PULL.batch, () => pullLoad(target(), { ...PULL, latestVersion: pushed })),
      ],
    });
  } finally {
    await backend.cleanup();
  }
}

function report(kind: string, outcome: RoundsOutcome): SectionReport {
  return {
    title: `5 Server alone, ${kind}: ${PUSH.clients} wire-protocol clients on 127.0.0.1, no browser`,
    rows: outcome.results.flatMap(comparisonRows),
    notes: [
      `push: ${PUSH.clients} clients × ${PUSH.requestsPerClient} requests × ${PUSH.batch} new records of ~${PUSH.bytes} B; pull: ${PULL.clients} clients × ${PULL.requestsPerClient} × ${PULL.batch}-row pages; load generator and server share the machine's cores; no limit measured for the server`,
      ...outcome.results.flatMap(comparisonNotes),
    ],
    rounds: { run: outcome.roundsRun, asked: outcome.roundsAsked },
    results: outcome.results,
  };
}

/** Runs section 5 for SQLite, then Postgres (skipped with a reason if unavailable). */
async function runServer(ctx: SectionContext): Promise<SectionReport[]> {
  const sqliteBudget = budgetUntil(Date.now() + Math.max(0, ctx.budget.left()) / 2);
  const reports = [report('SQLite', await measure(sqliteBackend(ctx.root), ctx, sqliteBudget))];
  const skipped = (why: string): SectionReport => ({ title: '5 Server alone, Postgres', rows: [figureRow('push / pull', why, '')], notes: [] });
  if (!ctx.budget.allows(15_000)) return [...reports, skipped('skipped: out of time budget')];
  const cluster = await startPostgres(ctx.log);
  if (cluster === undefined) return [...reports, skipped('skipped: PostgreSQL binaries or user missing')];
  try {
    reports.push(report('Postgres', await measure(postgresBackend(ctx.root, cluster), ctx, ctx.budget)));
  } catch (error) {
    cluster.stop();
    reports.push(skipped(`failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`));
  }
  return reports;
}

/** Section 5. */
export const serverSection: Section = { key: 'server', title: '5 Server', minutes: 8, run: runServer };
