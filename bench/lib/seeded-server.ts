/**
 * The real `pulsesync-server` command on 127.0.0.1 over a fresh SQLite file, seeded
 * over the wire from Node with the deterministic bench records: what an initial sync
 * pulls from.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedRecords } from '../../tools/seed-records.ts';
import { startServerProcess, type ServerProcess } from '../../tools/server-process.ts';

/** A running, seeded server. */
export interface SeededServer {
  readonly url: string;
  readonly token: string;
  /** What it holds: `count` records of ~`bytes` in `collective`. */
  readonly count: number;
  readonly bytes: number;
  readonly collective: string;
  readonly seedMs: number;
  stop(): Promise<void>;
}

/** Starts a server on a fresh SQLite file and pushes `count` records of ~`bytes` into `collective`. */
export async function startSeededServer(root: string, seed: { count: number; bytes: number; collective: string }, log: (m: string) => void): Promise<SeededServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pulsesync-bench-'));
  let server: ServerProcess | undefined;
  try {
    server = await startServerProcess(root, ['--db', join(dir, 'bench.db')]);
    log(`seeding ${seed.count.toLocaleString('en-US')} records of ~${seed.bytes} B into ${server.url}`);
    const start = performance.now();
    // 2,000 per push: a million records in 500 requests; well inside the server's limits.
    await seedRecords({ url: server.url, token: server.token }, { ...seed, batch: 2_000, clients: 4 });
    const seedMs = performance.now() - start;
    const started = server;
    log(`seeded in ${(seedMs / 1000).toFixed(1)} s`);
    return {
      url: server.url,
      token: server.token,
      count: seed.count,
      bytes: seed.bytes,
      collective: seed.collective,
      seedMs,
      async stop() {
        await started.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
