/**
 * Where a load run's server keeps its data: a fresh SQLite file, or a fresh database on
 * a Postgres cluster, for every run, so that no run reads what another wrote and the
 * order of runs does not matter. The server itself is started by the caller
 * (tools/server-process.ts, or under `--cpu-prof`) with the arguments given here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { PgCluster } from '../../tools/postgres.ts';

/** Fresh storage for a server, run after run. */
export interface LoadStorage {
  readonly kind: 'SQLite' | 'Postgres';
  /** The `pulsesync-server` arguments (`--db …` or `--postgres …`) of a new, empty data set. */
  fresh(): Promise<string[]>;
  /** Removes the SQLite files (a Postgres cluster is its starter's to stop). */
  dispose(): void;
}

/** A new SQLite file per run, in a temp directory removed by `dispose`. */
export function sqliteStorage(): LoadStorage {
  const dir = mkdtempSync(join(tmpdir(), 'pulsesync-load-'));
  let runs = 0;
  return {
    kind: 'SQLite',
    fresh: async () => ['--db', join(dir, `run-${runs++}.db`)],
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A new database per run on `cluster`. */
export function postgresStorage(cluster: PgCluster): LoadStorage {
  let runs = 0;
  return {
    kind: 'Postgres',
    async fresh() {
      const name = `load_${process.pid}_${runs++}`;
      const admin = new pg.Client({ connectionString: cluster.connectionString });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return ['--postgres', cluster.connectionString.replace(/\/postgres$/, `/${name}`)];
    },
    dispose: () => undefined,
  };
}
