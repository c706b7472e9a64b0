/**
 * Starts the whole demo: the real pulsesync-server on SQLite (data in `dataDir`) with a
 * fresh dev token, and a Vite dev server for the page in `demo/`. `npm run demo` calls
 * it through run.ts; the browser test calls it directly with `port: 0`.
 *
 * It also backs the server's database up as it starts, so that the page can replace the
 * server's data with that backup, as an operator restoring a lost disk would (see
 * {@link RunningDemo.replaceServerData}).
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';
import { demoRoutes } from './demo-routes.ts';
import { startSyncServer } from './server-process.ts';

const DEMO_ROOT = fileURLToPath(new URL('.', import.meta.url));
const REPO_ROOT = resolve(DEMO_ROOT, '..');

/** Options of {@link startDemo}. */
export interface StartDemoOptions {
  /** Port of the page; 0 = any free port. Taken ports move to the next free one. Default 5173. */
  readonly port?: number;
  /** Where the server keeps its SQLite file. Default `.demo-data/` in the repository. */
  readonly dataDir?: string;
  /** Echo the sync server's output and Vite's info lines. Default false. */
  readonly verbose?: boolean;
  /**
   * Watch the sources and reload the page when one changes (Vite's HMR). Default true;
   * tests turn it off so an edit elsewhere in the repository cannot reload a page mid-run.
   */
  readonly watch?: boolean;
}

/** A running demo. */
export interface RunningDemo {
  /** The page, e.g. `http://127.0.0.1:5173/`. */
  readonly url: string;
  /** The sync server's base URL. */
  readonly serverUrl: string;
  /** The dev token of this run. */
  readonly token: string;
  /**
   * Stops the sync server, puts back the database as it was when the demo started (same
   * server id, older data) and starts the server again on the same port. Every device
   * that synced since then holds a pull cursor ahead of the server: its next pull is
   * refused `CURSOR_AHEAD` and it runs a client reset.
   */
  replaceServerData(): Promise<void>;
  /** Stops the page server and the sync server. Safe to call twice. */
  close(): Promise<void>;
}

/** Starts the sync server and the page server; resolves when both listen. */
export async function startDemo(options: StartDemoOptions = {}): Promise<RunningDemo> {
  const dataDir = resolve(options.dataDir ?? join(REPO_ROOT, '.demo-data'));
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(18).toString('base64url');
  const dbPath = join(dataDir, 'pulsesync.db');
  const backupPath = join(dataDir, 'pulsesync-at-start.db');
  const serverOptions = { root: REPO_ROOT, dbPath, token, echo: options.verbose === true };
  let sync = await startSyncServer(serverOptions);
  let replacing: Promise<void> | undefined;
  const replaceServerData = (): Promise<void> =>
    (replacing ??= (async () => {
      const port = Number(new URL(sync.url).port);
      await sync.stop();
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
      copyFileSync(backupPath, dbPath);
      sync = await startSyncServer({ ...serverOptions, port });
    })().finally(() => {
      replacing = undefined;
    }));
  let vite: ViteDevServer;
  try {
    await backUp(dbPath, backupPath);
    vite = await createPageServer(sync.url, token, dataDir, replaceServerData, options);
  } catch (error) {
    await sync.stop();
    throw error;
  }
  const address = vite.httpServer?.address();
  if (address === null || address === undefined || typeof address === 'string') {
    await Promise.all([vite.close(), sync.stop()]);
    throw new Error('the demo page server has no port');
  }
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${address.port}/`,
    serverUrl: sync.url,
    token,
    replaceServerData,
    close() {
      closing ??= Promise.all([vite.close(), (replacing ?? Promise.resolve()).then(() => sync.stop(), () => sync.stop())]).then(() => undefined);
      return closing;
    },
  };
}

/** A consistent copy of the live database at `from` (SQLite's online backup: the server keeps writing meanwhile). */
async function backUp(from: string, to: string): Promise<void> {
  const db = new Database(from, { readonly: true, fileMustExist: true });
  try {
    await db.backup(to);
  } finally {
    db.close();
  }
}

async function createPageServer(
  serverUrl: string,
  token: string,
  dataDir: string,
  replaceServerData: () => Promise<void>,
  options: StartDemoOptions,
): Promise<ViteDevServer> {
  const port = options.port ?? 5173;
  const server = await createServer({
    root: DEMO_ROOT,
    configFile: false,
    envDir: false,
    clearScreen: false,
    // Pre-bundled dependencies live with the run's data: two demos never share a cache.
    cacheDir: join(dataDir, 'vite-cache'),
    logLevel: options.verbose === true ? 'info' : 'warn',
    plugins: [demoRoutes(serverUrl, token, replaceServerData)],
    resolve: {
      // The page imports the SDK by its package name, as an app would.
      alias: [
        { find: /^pulsesync$/, replacement: join(REPO_ROOT, 'src/index.ts') },
        // Not the package's dist/: one copy of the SDK on the page, so `isSyncError` knows
        // the errors of the collections client (collections.ts takes pulsesync/client).
        { find: /^pulsesync\/client$/, replacement: join(REPO_ROOT, 'src/client-entry.ts') },
        { find: /^pulsesync\/worker$/, replacement: join(REPO_ROOT, 'worker/index.ts') },
        { find: /^pulsesync\/engine$/, replacement: join(REPO_ROOT, 'src/engine-entry.ts') },
      ],
    },
    // Pre-bundle the SDK's dependencies up front: discovering them while the page
    // loads would make Vite reload the page mid-way.
    optimizeDeps: { entries: ['index.html'], include: ['idb', 'valibot'] },
    worker: { format: 'es' },
    server: {
      host: '127.0.0.1',
      port,
      strictPort: false,
      fs: { allow: [REPO_ROOT] },
      hmr: options.watch !== false,
      watch: options.watch === false ? null : { ignored: ['**/.demo-data/**', '**/test-output/**'] },
    },
  });
  await server.listen();
  return server;
}
