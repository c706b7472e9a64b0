/**
 * Runs the real `pulsesync-server` command (bin/pulsesync-server.js) as a child process
 * for the demo: SQLite in the demo's data directory, a dev token passed through the
 * environment (so it never shows in `ps`), a free port on 127.0.0.1 (or the port it had,
 * when the demo restarts it on a restored database).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** A running pulsesync-server. */
export interface DemoSyncServer {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s). Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startSyncServer}. */
export interface SyncServerOptions {
  /** Repository root (where `bin/` lives). */
  readonly root: string;
  /** SQLite database file. */
  readonly dbPath: string;
  readonly token: string;
  /** Print the server's output (the CLI does; tests do not). */
  readonly echo?: boolean;
  /** The port to listen on; 0 (the default) takes a free one. */
  readonly port?: number;
}

const STARTUP_TIMEOUT_MS = 30_000;

/** Starts the server and resolves once it prints the URL it listens on. */
export async function startSyncServer(options: SyncServerOptions): Promise<DemoSyncServer> {
  const bin = join(options.root, 'bin/pulsesync-server.js');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: the demo needs the pulsesync-server command`);
  const child = spawn(process.execPath, [bin, '--host', '127.0.0.1', '--port', String(options.port ?? 0), '--db', options.dbPath], {
    cwd: options.root,
    env: { ...process.env, PULSESYNC_TOKEN: options.token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await waitForUrl(child, options.echo === true);
  return { url, stop: () => stopChild(child) };
}

function waitForUrl(child: ChildProcess, echo: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let found = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pulsesync-server printed no URL within ${STARTUP_TIMEOUT_MS / 1000} s; stderr: ${stderr.slice(-800)}`));
    }, STARTUP_TIMEOUT_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (echo) process.stdout.write(prefixLines(chunk.toString()));
      if (found) return;
      stdout += chunk.toString();
      const match = /https?:\/\/[\w.[\]:-]+:\d+/.exec(stdout);
      if (match === null) return;
      found = true;
      clearTimeout(timer);
      resolve(match[0].replace(/\/$/, ''));
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (echo) process.stderr.write(prefixLines(chunk.toString()));
      if (!found) stderr += chunk.toString();
    });
    child.once('exit', (code, signal) => {
      if (found) return;
      clearTimeout(timer);
      reject(new Error(`pulsesync-server exited (${signal ?? code}) before listening; stderr: ${stderr.slice(-800)}`));
    });
  });
}

function prefixLines(text: string): string {
  return text.replace(/^(?=.)/gm, '[server] ');
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
