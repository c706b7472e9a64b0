/**
 * The command line of `pulsesync-server`, parsed into a plain config (no I/O here
 * except reading the token file, so it is easy to test).
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_MAX_CLOCK_DRIFT_MS } from '../../clock/hlc.ts';
import { DEFAULT_CONNECTION_LIMITS } from './connection-guard.ts';

/** Where the data lives. */
export type StoreChoice = { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'postgres'; readonly url: string };

/** How callers are authenticated. */
export type AuthChoice = { readonly kind: 'token'; readonly token: string; readonly from: string } | { readonly kind: 'none' };

/** What the command was asked to do. */
export interface ServerCommand {
  readonly host: string;
  readonly port: number;
  readonly store: StoreChoice;
  readonly auth: AuthChoice;
  readonly basePath: string | undefined;
  readonly corsOrigin: string;
  readonly maxBodyBytes: number | undefined;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxConnections: number;
  /** How far ahead of the server's clock a pushed clock may run; undefined: the server's default. */
  readonly maxClockDriftMs: number | undefined;
  /** Refuse pulls and pushes without a valid instance key (`--require-instance-keys`). */
  readonly requireInstanceKeys: boolean;
  /** How long tombstones are kept (`--tombstone-horizon-days`); undefined: the server's default. */
  readonly tombstoneHorizonMs: number | undefined;
}

/** A command line the command cannot run with; the message says what to fix. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `Usage: pulsesync-server [options]

  --host HOST            interface to listen on (default 127.0.0.1; 0.0.0.0 for all)
  --port PORT            port (default 8787; 0 picks a free one)
  --db FILE              SQLite database file (default ./pulsesync.db)
  --postgres URL         use PostgreSQL instead of SQLite (postgres://user@host:port/db);
                         several servers may share one database
  --token TOKEN          accept requests with "Authorization: Bearer TOKEN"
  --token-file FILE      read the token from FILE (first line; keeps it out of ps)
                         (or set PULSESYNC_TOKEN)
  --insecure-no-auth     accept every request without a token (local testing only)
  --base-path PATH       serve the routes under PATH, e.g. /api → /api/sync/push
  --cors-origin ORIGIN   Access-Control-Allow-Origin (default *)
  --max-body-bytes N     largest request body accepted
  --headers-timeout-ms N longest wait for a request's headers (default ${DEFAULT_CONNECTION_LIMITS.headersTimeoutMs})
  --request-timeout-ms N longest wait for a whole request, body included (default ${DEFAULT_CONNECTION_LIMITS.requestTimeoutMs})
  --max-connections N    most open connections; more are answered 503 (default ${DEFAULT_CONNECTION_LIMITS.maxConnections};
                         each live client holds one)
  --max-clock-drift-ms N refuse pushed changes stamped more than N ms ahead of this
                         server's clock (default ${DEFAULT_MAX_CLOCK_DRIFT_MS})
  --require-instance-keys  refuse pulls and pushes without the instance key a handshake
                         issues (turn on once every client sends keys)
  --tombstone-horizon-days N  keep deleted records' tombstones N days (default 30); a
                         client offline longer resets (pulls afresh, keeps its writes)
  --help                 this text
`;

const VALUE_FLAGS = new Set([
  'host',
  'port',
  'db',
  'postgres',
  'token',
  'token-file',
  'base-path',
  'cors-origin',
  'max-body-bytes',
  'headers-timeout-ms',
  'request-timeout-ms',
  'max-connections',
  'max-clock-drift-ms',
  'tombstone-horizon-days',
]);
const SWITCHES = new Set(['insecure-no-auth', 'require-instance-keys', 'help']);

/** Splits argv into flag values (`--x v` and `--x=v`), refusing unknown or repeated flags. */
function readFlags(argv: readonly string[]): Map<string, string | true> {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new UsageError(`Unexpected argument "${arg}": every option starts with --`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (flags.has(name)) throw new UsageError(`--${name} was given twice`);
    if (SWITCHES.has(name)) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
    } else if (VALUE_FLAGS.has(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || (eq === -1 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else {
      throw new UsageError(`Unknown option --${name} (see --help)`);
    }
  }
  return flags;
}

function positiveInteger(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer of at least ${min}, got "${value}"`);
  return n;
}

/**
 * Parses the command line. Returns `'help'` for `--help`. Auth comes from exactly one
 * of `--token`, `--token-file`, `PULSESYNC_TOKEN` or `--insecure-no-auth`; none of them
 * is a UsageError — the server is never open by accident.
 */
export function parseServerArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): ServerCommand | 'help' {
  const flags = readFlags(argv);
  if (flags.has('help')) return 'help';
  const get = (name: string): string | undefined => {
    const value = flags.get(name);
    return typeof value === 'string' ? value : undefined;
  };

  const port = positiveInteger('port', get('port') ?? '8787', 0);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const host = get('host') ?? '127.0.0.1';
  if (host === '') throw new UsageError('--host must not be empty');

  const db = get('db');
  const postgres = get('postgres');
  if (db !== undefined && postgres !== undefined) throw new UsageError('Give --db (SQLite) or --postgres, not both');
  const store: StoreChoice = postgres !== undefined ? { kind: 'postgres', url: postgres } : { kind: 'sqlite', path: db ?? './pulsesync.db' };

  const sources: AuthChoice[] = [];
  const token = get('token');
  if (token !== undefined) sources.push({ kind: 'token', token, from: '--token' });
  const tokenFile = get('token-file');
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = readFile(tokenFile);
    } catch (error) {
      throw new UsageError(`Cannot read --token-file ${tokenFile}: ${error instanceof Error ? error.message : String(error)}`);
    }
    sources.push({ kind: 'token', token: (text.split(/\r?\n/)[0] ?? '').trim(), from: `--token-file ${tokenFile}` });
  }
  const envToken = env['PULSESYNC_TOKEN'];
  if (sources.length === 0 && envToken !== undefined && envToken !== '') sources.push({ kind: 'token', token: envToken, from: 'PULSESYNC_TOKEN' });
  if (flags.has('insecure-no-auth')) sources.push({ kind: 'none' });
  if (sources.length === 0) {
    throw new UsageError('No authentication configured: pass --token TOKEN, --token-file FILE or set PULSESYNC_TOKEN (or --insecure-no-auth to run open, for local testing only)');
  }
  if (sources.length > 1) throw new UsageError('Give one of --token, --token-file and --insecure-no-auth, not several');
  const auth = sources[0] as AuthChoice;
  if (auth.kind === 'token' && auth.token.length === 0) throw new UsageError(`The token from ${auth.from} is empty: use a long random secret`);

  const maxBody = get('max-body-bytes');
  const counted = (name: string, fallback: number): number => {
    const value = get(name);
    return value === undefined ? fallback : positiveInteger(name, value, 1);
  };
  const headersTimeoutMs = counted('headers-timeout-ms', DEFAULT_CONNECTION_LIMITS.headersTimeoutMs);
  const requestTimeoutMs = counted('request-timeout-ms', DEFAULT_CONNECTION_LIMITS.requestTimeoutMs);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new UsageError(`--headers-timeout-ms (${headersTimeoutMs}) must not be longer than --request-timeout-ms (${requestTimeoutMs}): the headers are part of the request`);
  }
  return {
    host,
    port,
    store,
    auth,
    basePath: get('base-path'),
    corsOrigin: get('cors-origin') ?? '*',
    maxBodyBytes: maxBody === undefined ? undefined : positiveInteger('max-body-bytes', maxBody, 1),
    headersTimeoutMs,
    requestTimeoutMs,
    maxConnections: counted('max-connections', DEFAULT_CONNECTION_LIMITS.maxConnections),
    maxClockDriftMs: get('max-clock-drift-ms') === undefined ? undefined : counted('max-clock-drift-ms', 0),
    requireInstanceKeys: flags.has('require-instance-keys'),
    tombstoneHorizonMs: get('tombstone-horizon-days') === undefined ? undefined : counted('tombstone-horizon-days', 1) * 24 * 60 * 60 * 1000,
  };
}
