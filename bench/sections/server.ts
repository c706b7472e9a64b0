/**
 * Section 4: the server alone — the real `pulsesync-server` command on 127.0.0.1, over
 * SQLite and over Postgres — driven by 50 concurrent wire-protocol clients in this Node
 * process (bench/lib/server-load.ts). Each run starts a fresh server on empty storage,
 * pushes, then pulls what was pushed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { repeatWithin, type Budget } from '../lib/budget.ts';
import { startPostgres, type PgCluster } from '../../tools/postgres.ts';
import { pullLoad, pushLoad, type LoadResult } from '../lib/server-load.ts';
import { serverCommand, startServerProcess, type ServerProcess } from '../../tools/server-process.ts';
import { median } from '../lib/stats.ts';
import type { ResultRow } from '../lib/table.ts';

const SECTION = '4 Server (50 clients, loopback)';
/** 50 clients × 10 pushes × 100 changes = 50k records pushed per run. */
const PUSH = { clients: 50, requestsPerClient: 10, batch: 100, bytes: 200 } as const;
/** 50 clients × 10 pulls × 500 changes = 250k rows served per run. */
const PULL = { clients: 50, requestsPerClient: 10, batch: 500 } as const;

interface Options {
  readonly root: string;
  readonly runs: number;
  readonly log: (message: string) => void;
  /** When the section must be done: fewer runs rather than overrunning it. */
  readonly budget: Budget;
}

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

async function measure(backend: Backend, options: Options, budget: Budget): Promise<ResultRow[]> {
  const pushes: LoadResult[] = [];
  const pulls: LoadResult[] = [];
  try {
    await repeatWithin(budget, options.runs, async (run) => {
      options.log(`server ${backend.kind}: run ${run + 1}/${options.runs}`);
      const server = await backend.start(run);
      try {
        const target = { url: server.url, token: server.token };
        const push = await pushLoad(target, { ...PUSH, collective: 'load' });
        pushes.push(push);
        pulls.push(await pullLoad(target, { ...PULL, latestVersion: push.records }));
      } finally {
        await server.stop();
      }
    }, (done) => options.log(`server ${backend.kind}: stopping after ${done} run(s) to stay within the time budget`));
  } finally {
    await backend.cleanup();
  }
  const m = (results: LoadResult[], pick: (r: LoadResult) => number): number => median(results.map(pick));
  const errors = [...pushes, ...pulls].reduce((sum, r) => sum + r.errors, 0);
  const note = errors > 0 ? { note: `${errors} requests failed (non-200) across runs` } : {};
  return [
    {
      section: SECTION, figure: `${backend.kind} push (${PUSH.batch}/req)`, value: m(pushes, (r) => r.recordsPerSec), unit: 'rec/s', samples: pushes.map((r) => r.recordsPerSec),
      ...(backend.kind === 'SQLite' ? { note: `push: ${PUSH.clients} clients × ${PUSH.requestsPerClient} requests × ${PUSH.batch} new records of ~${PUSH.bytes} B; pull: ${PULL.clients} clients × ${PULL.requestsPerClient} × ${PULL.batch}-row pages; load generator and server share the machine's cores` } : note),
    },
    { section: SECTION, figure: `${backend.kind} push requests`, value: m(pushes, (r) => r.requestsPerSec), unit: 'req/s' },
    { section: SECTION, figure: `${backend.kind} push p99 latency`, value: m(pushes, (r) => r.p99Ms), unit: 'ms', samples: pushes.map((r) => r.p99Ms) },
    { section: SECTION, figure: `${backend.kind} pull (${PULL.batch}/req)`, value: m(pulls, (r) => r.recordsPerSec), unit: 'rec/s', samples: pulls.map((r) => r.recordsPerSec), ...(backend.kind === 'Postgres' ? note : {}) },
    { section: SECTION, figure: `${backend.kind} pull requests`, value: m(pulls, (r) => r.requestsPerSec), unit: 'req/s' },
    { section: SECTION, figure: `${backend.kind} pull p99 latency`, value: m(pulls, (r) => r.p99Ms), unit: 'ms', samples: pulls.map((r) => r.p99Ms) },
  ];
}

/** Runs section 4 for SQLite, then Postgres (skipped with a reason if unavailable). */
export async function runServer(options: Options): Promise<ResultRow[]> {
  if (serverCommand(options.root) === undefined) {
    return [{ section: SECTION, figure: 'push / pull', value: 'not available yet: no bin/pulsesync-server.js', unit: '' }];
  }
  const rows = await measure(sqliteBackend(options.root), options, options.budget.slice(0.5));
  if (!options.budget.allows(15_000)) {
    rows.push({ section: SECTION, figure: 'Postgres push / pull', value: 'skipped: out of time budget', unit: '' });
    return rows;
  }
  const cluster = await startPostgres(options.log);
  if (cluster === undefined) {
    rows.push({ section: SECTION, figure: 'Postgres push / pull', value: 'skipped: PostgreSQL binaries or user missing', unit: '' });
  } else {
    try {
      rows.push(...(await measure(postgresBackend(options.root, cluster), options, options.budget)));
    } catch (error) {
      cluster.stop();
      rows.push({ section: SECTION, figure: 'Postgres push / pull', value: `failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, unit: '' });
    }
  }
  return rows;
}
