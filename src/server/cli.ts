/**
 * `pulsesync-server`: the sync server as a command. SQLite by default, Postgres with
 * `--postgres`; token auth unless told loudly otherwise; a clean stop on SIGINT/SIGTERM.
 * Prints one line with `http://HOST:PORT` once it listens (scripts wait for it).
 */
import { pathToFileURL } from 'node:url';
import { SyncError } from '../protocol/errors.ts';
import type { Authenticate } from './access.ts';
import { createFetchHandler } from './http/fetch-handler.ts';
import { tokenAuth } from './http/token-auth.ts';
import { parseServerArgs, USAGE, UsageError, type StoreChoice } from './node/cli-args.ts';
import { createNodeServer } from './node/node-server.ts';
import { openStore, STORE_ENTRIES, type StoreEntries } from './node/open-store.ts';
import { createSyncServer } from './sync-server.ts';
import type { ServerStore } from './types.ts';

/** The store as the log shows it (a Postgres password is not printed). */
function describeStore(choice: StoreChoice): string {
  if (choice.kind === 'sqlite') return `sqlite ${choice.path}`;
  try {
    const url = new URL(choice.url);
    if (url.password !== '') url.password = '***';
    return `postgres ${url.toString()}`;
  } catch {
    return 'postgres';
  }
}

const INSECURE_WARNING = `
################################################################################
#  WARNING: --insecure-no-auth: this server accepts EVERY request without a     #
#  token. Anyone who can reach its port can read and overwrite all data.       #
#  Use it only on loopback for local testing; give --token-file otherwise.     #
################################################################################
`;

/** Runs the command; resolves with the exit code. `stores` loads the store entries (tests pass their own). */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, stores: StoreEntries = STORE_ENTRIES): Promise<number> {
  let command;
  try {
    command = parseServerArgs(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`pulsesync-server: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }

  let authenticate: Authenticate | undefined;
  if (command.auth.kind === 'token') {
    authenticate = tokenAuth(command.auth.token);
    if (command.auth.token.length < 16) process.stderr.write('pulsesync-server: warning: the token is short; use a long random secret (e.g. `openssl rand -hex 32`)\n');
  } else {
    process.stderr.write(INSECURE_WARNING);
  }

  let store: ServerStore;
  try {
    store = await openStore(command.store, stores);
  } catch (error) {
    if (!(error instanceof SyncError)) throw error;
    process.stderr.write(`pulsesync-server: cannot open ${describeStore(command.store)}: ${error.message}\n`);
    return 1;
  }
  // Fail fast on a bad database (wrong URL, unreadable file) instead of on first request.
  try {
    await store.serverId();
  } catch (error) {
    await store.close().catch(() => undefined);
    process.stderr.write(`pulsesync-server: cannot open ${describeStore(command.store)}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const limits = command.maxBodyBytes === undefined ? {} : { maxBodyBytes: command.maxBodyBytes };
  const server = createSyncServer({
    store,
    limits,
    requireInstanceKeys: command.requireInstanceKeys,
    ...(authenticate === undefined ? {} : { authenticate }),
    ...(command.maxClockDriftMs === undefined ? {} : { maxClockDriftMs: command.maxClockDriftMs }),
    ...(command.tombstoneHorizonMs === undefined ? {} : { tombstoneHorizonMs: command.tombstoneHorizonMs }),
  });
  const handler = createFetchHandler(server, { basePath: command.basePath, cors: { origin: command.corsOrigin } });
  let http;
  try {
    http = await createNodeServer(handler, {
      host: command.host,
      port: command.port,
      headersTimeoutMs: command.headersTimeoutMs,
      requestTimeoutMs: command.requestTimeoutMs,
      maxConnections: command.maxConnections,
    });
  } catch (error) {
    await server.close().catch(() => undefined);
    process.stderr.write(`pulsesync-server: cannot listen on ${command.host}:${command.port}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const base = command.basePath === undefined ? '' : ` (routes under ${command.basePath}/sync)`;
  process.stdout.write(`pulsesync-server listening on ${http.url} (${describeStore(command.store)})${base}\n`);

  const listening = http;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        process.stderr.write(`pulsesync-server: ${signal} again, exiting now\n`);
        resolve(1);
        return;
      }
      stopping = true;
      process.stdout.write(`pulsesync-server: ${signal}, shutting down\n`);
      // Stop accepting and end live streams, let requests in flight finish, then close the store.
      void listening
        .close()
        .then(() => server.close())
        .then(
          () => resolve(0),
          (error: unknown) => {
            process.stderr.write(`pulsesync-server: error while shutting down: ${error instanceof Error ? error.message : String(error)}\n`);
            resolve(1);
          },
        );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

// Run directly (`tsx src/server/cli.ts`); bin/pulsesync-server.js imports and calls main().
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`pulsesync-server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
