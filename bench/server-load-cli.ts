/**
 * The server load of bench/lib/server-load.ts on its own, without the rest of the bench:
 * starts the real `pulsesync-server` on 127.0.0.1 over a fresh SQLite file or a fresh
 * Postgres database, drives it, prints the figures, stops it.
 *
 *   npx tsx bench/server-load-cli.ts --store sqlite --clients 50 --mode mixed --requests 20 --seconds 60
 *   npx tsx bench/server-load-cli.ts --store postgres --clients 200 --mode push-only
 *   npx tsx bench/server-load-cli.ts --client fetch                    # clients on undici's fetch instead of node:http
 *   npx tsx bench/server-load-cli.ts --server-root /tmp/base           # the server of another checkout (before/after)
 *   npx tsx bench/server-load-cli.ts --store sqlite --wire-bytes        # bytes per pulled record by encoding
 *   npx tsx bench/server-load-cli.ts --store sqlite --profile /tmp/prof # the server writes a .cpuprofile there
 */
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { killChildren, spawnTracked, waitForLine } from '../tools/children.ts';
import { startPostgres } from '../tools/postgres.ts';
import { startServerProcess, type ServerProcess } from '../tools/server-process.ts';
import { postgresStorage, sqliteStorage, type LoadStorage } from './lib/load-storage.ts';
import { childrenCpuMs, pullWireBytes, serverLoad, type LoadResult } from './lib/server-load.ts';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    clients: { type: 'string', default: '50' },
    mode: { type: 'string', default: 'mixed' },
    requests: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '60' },
    batch: { type: 'string', default: '100' },
    bytes: { type: 'string', default: '250' },
    client: { type: 'string', default: 'node-http' },
    'accept-encoding': { type: 'string', default: 'gzip, deflate' },
    profile: { type: 'string' },
    'server-root': { type: 'string' },
    'wire-bytes': { type: 'boolean', default: false },
  },
});

/** The checkout whose server runs: this one, or another (`--server-root`) to compare against. */
const root = resolve(values['server-root'] ?? resolve(import.meta.dirname, '..'));
const log = (message: string): void => void process.stderr.write(`${message}\n`);
const round = (n: number): string => (Number.isFinite(n) ? String(Math.round(n)) : '-');
const line = (what: string, r: LoadResult): string =>
  `${what}: ${r.requests} req, ${round(r.requestsPerSec)} req/s, ${round(r.recordsPerSec)} rec/s, p50 ${round(r.p50Ms)} ms, p99 ${round(r.p99Ms)} ms, errors ${r.errors}`;

/**
 * The command under `node --cpu-prof` (a flag NODE_OPTIONS refuses), started as
 * `startServerProcess` starts it; it writes its profile when it exits on SIGTERM.
 */
async function startProfiled(args: readonly string[], profileDir: string): Promise<ServerProcess> {
  const token = 'bench-token';
  const bin = join(root, 'bin/pulsesync-server.js');
  const child = spawnTracked(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, bin, '--host', '127.0.0.1', '--port', '0', '--token', token, ...args], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const match = await waitForLine(child, /(http:\/\/127\.0\.0\.1:\d+)/, 30_000);
  child.stdout?.resume();
  child.stderr?.resume();
  const stop = (): Promise<void> =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  return { url: (match[1] as string).replace(/\/$/, ''), token, stop };
}

async function startServer(storage: LoadStorage): Promise<ServerProcess> {
  const args = await storage.fresh();
  return values.profile === undefined ? startServerProcess(root, args) : startProfiled(args, resolve(values.profile));
}

async function main(): Promise<void> {
  const store = values.store ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'postgres') throw new Error('--store is sqlite or postgres');
  const cluster = store === 'postgres' ? await startPostgres(log) : undefined;
  if (store === 'postgres' && cluster === undefined) throw new Error('Postgres could not start');
  const storage = cluster === undefined ? sqliteStorage() : postgresStorage(cluster);
  const server = await startServer(storage);
  try {
    const target = { url: server.url, token: server.token };
    if (values['wire-bytes']) {
      for (const acceptEncoding of ['identity', 'gzip', 'br']) {
        const r = await pullWireBytes(target, { records: 500, bytes: Number(values.bytes), acceptEncoding });
        console.log(`${store} pull of ${r.records} records of ~${values.bytes} B, Accept-Encoding ${acceptEncoding}: ${r.encoding}, ${r.bodyBytes} B, ${r.bytesPerRecord.toFixed(1)} B/record`);
      }
      return;
    }
    const mode = values.mode === 'push-only' ? 'push-only' : 'mixed';
    const clients = Number(values.clients);
    log(`${store}: ${clients} clients (${values.client}), ${mode}, up to ${values.requests} rounds of ${values.batch} × ~${values.bytes} B or ${values.seconds} s`);
    const result = await serverLoad(target, {
      clients,
      mode,
      requestsPerClient: Number(values.requests),
      maxMs: Number(values.seconds) * 1000,
      batch: Number(values.batch),
      bytes: Number(values.bytes),
      client: values.client === 'fetch' ? 'fetch' : 'node-http',
      acceptEncoding: values['accept-encoding'] ?? 'gzip, deflate',
      serverCpuMs: childrenCpuMs,
    });
    const rounds = result.push.requests + (result.pull?.requests ?? 0);
    console.log(`${store} ${mode} ${clients} clients, ${round(result.ms)} ms; load average ${loadavg()[0]?.toFixed(1)}`);
    console.log(
      `  CPU: server ${round(result.serverCpuMs)} ms (${(result.serverCpuMs / rounds).toFixed(2)} ms a request), load generator ${round(result.generatorCpuMs)} ms (${round((100 * result.generatorCpuMs) / result.ms)}% of a core)`,
    );
    console.log(`  ${line('push', result.push)}`);
    if (result.pull !== undefined) console.log(`  ${line('pull', result.pull)}`);
  } finally {
    await server.stop();
    cluster?.stop();
    storage.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  killChildren();
  process.exitCode = 1;
});
