/**
 * A throwaway PostgreSQL 15 cluster for the tests and the server benchmark: initdb into
 * a temp dir owned by `postgres`, started on its own free port on 127.0.0.1 with trust
 * auth, and stopped (and removed) at the end of the run or at exit. Returns undefined
 * when the binaries are missing, so the caller can skip what needs Postgres, saying why.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atExit } from './children.ts';

const BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

/** A running cluster: its connection string and how to stop it. */
export interface PgCluster {
  readonly connectionString: string;
  stop(): void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Why Postgres cannot run here, or undefined if it can. */
export function postgresMissing(): string | undefined {
  if (!existsSync(join(BIN, 'initdb')) || !existsSync(join(BIN, 'pg_ctl'))) return `no PostgreSQL binaries in ${BIN}`;
  try {
    execFileSync('id', ['postgres'], { stdio: 'ignore' });
  } catch {
    return 'no `postgres` user to run initdb as';
  }
  return undefined;
}

const asPostgres = (command: string): void => {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) execFileSync('su', ['postgres', '-c', command], { stdio: 'ignore', timeout: 60_000 });
  else execFileSync('sh', ['-c', command], { stdio: 'ignore', timeout: 60_000 });
};

/** Starts a fresh cluster; returns undefined (with the reason logged) if it cannot. */
export async function startPostgres(log: (message: string) => void): Promise<PgCluster | undefined> {
  const missing = postgresMissing();
  if (missing !== undefined) {
    log(`postgres: ${missing}`);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'pulsesync-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) execFileSync('chown', ['postgres', dir]);
  let started = false;
  const stop = (): void => {
    if (started) {
      try {
        asPostgres(`${BIN}/pg_ctl -D ${data} -m immediate -w stop`);
      } catch {
        // already gone
      }
      started = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = atExit(stop);
  try {
    asPostgres(`${BIN}/initdb -D ${data} -U postgres --auth=trust --no-sync -E UTF8 >/dev/null`);
    asPostgres(`${BIN}/pg_ctl -D ${data} -o "-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=on" -l ${dir}/log -w start`);
    started = true;
  } catch (error) {
    stop();
    unregister();
    log(`postgres: could not start (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
    return undefined;
  }
  return {
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      stop();
      unregister();
    },
  };
}
