/**
 * Starts the real `pulsesync-server` command (bin/pulsesync-server.js) as a child
 * process on 127.0.0.1 with a free port, and waits for the URL it prints.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnTracked, waitForLine } from './children.ts';

/** A running server process. */
export interface ServerProcess {
  readonly url: string;
  readonly token: string;
  stop(): Promise<void>;
}

/** Where the command lives, or undefined if it has not landed. */
export function serverCommand(root: string): string | undefined {
  const bin = join(root, 'bin/pulsesync-server.js');
  return existsSync(bin) ? bin : undefined;
}

/** Starts `pulsesync-server` with `args` (besides host, port and token). */
export async function startServerProcess(root: string, args: readonly string[], token = 'bench-token'): Promise<ServerProcess> {
  const bin = serverCommand(root);
  if (bin === undefined) throw new Error('bin/pulsesync-server.js not found');
  const child = spawnTracked(process.execPath, [bin, '--host', '127.0.0.1', '--port', '0', '--token', token, ...args], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const match = await waitForLine(child, /(http:\/\/127\.0\.0\.1:\d+)/, 30_000);
  const url = (match[1] as string).replace(/\/$/, '');
  // Keep draining output so a chatty server never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url,
    token,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
        }, 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
