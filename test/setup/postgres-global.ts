/**
 * Vitest global setup: one throwaway PostgreSQL cluster for the whole run (started by
 * `tools/postgres.ts`, the one copy of that logic), its admin URL handed to tests
 * with `provide('postgresUrl')`. Test files make their own databases with
 * `freshPostgresDatabase()` from `./postgres.ts`, so they can run in parallel.
 *
 * Without the binaries: locally the Postgres tests skip, saying why; in CI
 * (`CI=true`) the run fails, so a broken CI image cannot pass by skipping.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../../tools/postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the test cluster ('' when Postgres is not available). */
    postgresUrl: string;
    /** Why Postgres is not available ('' when it is). */
    postgresMissing: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const reasons: string[] = [];
  const cluster = await startPostgres((message) => reasons.push(message));
  if (cluster === undefined) {
    const why = reasons.join('; ') || 'could not start PostgreSQL';
    if (process.env['CI'] === 'true') throw new Error(`Postgres tests cannot run in CI: ${why}`);
    console.warn(`\n[test setup] PostgreSQL not available, Postgres tests will be skipped: ${why}\n`);
    project.provide('postgresUrl', '');
    project.provide('postgresMissing', why);
    return () => undefined;
  }
  project.provide('postgresUrl', cluster.connectionString);
  project.provide('postgresMissing', '');
  const stop = () => cluster.stop();
  process.once('exit', stop); // a crashed run still stops the cluster
  return () => {
    process.off('exit', stop);
    stop();
  };
}
