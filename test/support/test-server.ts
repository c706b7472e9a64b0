/**
 * The real `pulsesync-server` command for browser tests: SQLite in a fresh temporary
 * folder, 127.0.0.1 on a free port, token auth, stopped with SIGTERM. The process
 * handling is tools/server-process.ts (one copy of it); a counting proxy sits in
 * front so tests can count requests per route and cut the network.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverCommand, startServerProcess } from '../../tools/server-process.ts';
import { startCountingProxy, type CountingProxy } from './counting-proxy.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The token every test server accepts. */
export const TEST_TOKEN = 'browser-test-token';

/** A running test server. */
export interface TestServer {
  /** The URL clients use: the counting proxy in front of the server. */
  readonly url: string;
  /** The server itself, bypassing the proxy (for seeding and checks from Node). */
  readonly directUrl: string;
  readonly token: string;
  readonly proxy: CountingProxy;
  /** Stops proxy and server (SIGTERM) and removes the database folder. */
  stop(): Promise<void>;
}

/** Has the server command landed? */
export function hasServerCommand(): boolean {
  return serverCommand(ROOT) !== undefined;
}

/** Starts `node bin/pulsesync-server.js --db <tmp>/x.db` behind a counting proxy. */
export async function startTestServer(): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pulsesync-browser-test-'));
  try {
    const server = await startServerProcess(ROOT, ['--db', join(dir, 'x.db')], TEST_TOKEN);
    const proxy = await startCountingProxy(server.url).catch(async (error: unknown) => {
      await server.stop();
      throw error;
    });
    return {
      url: proxy.url,
      directUrl: server.url,
      token: TEST_TOKEN,
      proxy,
      async stop() {
        await proxy.close();
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
