/**
 * Postgres for tests: fresh databases on the cluster that `postgres-global.ts` starts
 * once per vitest run.
 *
 * @example
 * import { describe } from 'vitest';
 * import { freshPostgresDatabase, postgresSkipReason } from '../setup/postgres.ts';
 *
 * describe.skipIf(postgresSkipReason() !== undefined)('over Postgres', () => {
 *   it('…', async () => {
 *     const url = await freshPostgresDatabase('e2e');
 *     // start server processes with `--postgres ${url}`
 *   });
 * });
 */
import pg from 'pg';
import { inject } from 'vitest';

let count = 0;

/**
 * Why Postgres tests cannot run here, or undefined when they can. Prints the reason
 * once per file when it skips. (In CI a missing Postgres fails the run in global setup
 * instead, so this never skips there.)
 */
export function postgresSkipReason(): string | undefined {
  if (inject('postgresUrl') !== '') return undefined;
  const reason = `PostgreSQL not available: ${inject('postgresMissing')}`;
  console.warn(`[skip] ${reason}`);
  return reason;
}

/**
 * Creates a new, empty database on the test cluster and returns its connection URL
 * (`postgres://postgres@127.0.0.1:PORT/NAME`). Each call makes a new one, so test
 * files and tests never share data and can run in parallel; all of them go away when
 * the cluster stops at the end of the run. Throws when Postgres is not available
 * (guard with {@link postgresSkipReason}).
 */
export async function freshPostgresDatabase(label = 'test'): Promise<string> {
  const admin = inject('postgresUrl');
  if (admin === '') throw new Error(`PostgreSQL not available: ${inject('postgresMissing')}`);
  const safeLabel = label.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 30);
  const name = `ps_${safeLabel}_${process.pid}_${++count}_${Math.random().toString(36).slice(2, 8)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}
