/**
 * The command as an operator meets it: it will not run open by accident, says so loudly
 * when told to, reads its token from a file, and stops cleanly on SIGTERM with a live
 * stream open (exit 0, stream ended).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.ts';

const BIN = fileURLToPath(new URL('../../bin/pulsesync-server.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pulsesync-cli-'));
const children: ChildProcess[] = [];

interface Run {
  readonly child: ChildProcess;
  readonly output: { stdout: string; stderr: string };
  readonly exited: Promise<number | null>;
}

function run(args: readonly string[], env: Record<string, string> = {}): Run {
  const clean = { ...process.env };
  delete clean['PULSESYNC_TOKEN'];
  const child = spawn(process.execPath, [BIN, '--host', '127.0.0.1', '--port', '0', ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

async function listeningUrl(r: Run): Promise<string> {
  const out = await waitFor('the listening line', () => r.output.stdout, (text) => /http:\/\/127\.0\.0\.1:\d+/.test(text) || r.child.exitCode !== null, { timeoutMs: 30_000 });
  const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
  if (match === null) throw new Error(`the server did not start: ${r.output.stderr}`);
  return match[1] as string;
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('pulsesync-server command', () => {
  it('refuses to start without any authentication configured', async () => {
    const r = run(['--db', join(dir, 'a.db')]);
    expect(await r.exited).toBe(2);
    expect(r.output.stderr).toMatch(/No authentication configured/);
  });

  it('with --insecure-no-auth prints a loud warning and serves without a token', async () => {
    const r = run(['--db', join(dir, 'b.db'), '--insecure-no-auth']);
    const url = await listeningUrl(r);
    expect(r.output.stderr).toMatch(/WARNING: --insecure-no-auth/);
    const pulled = await fetch(`${url}/sync/pull`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instanceId: crypto.randomUUID(), cursor: 0, batchSize: 1 }),
    });
    expect(pulled.status).toBe(200);
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(0);
  });

  it('reads its token from --token-file and, on SIGTERM, ends live streams and exits 0', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'token-from-a-file-0123456789\n');
    const r = run(['--db', join(dir, 'c.db'), '--token-file', tokenFile]);
    const url = await listeningUrl(r);
    expect((await fetch(`${url}/sync/live`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const live = await fetch(`${url}/sync/live`, { headers: { authorization: 'Bearer token-from-a-file-0123456789' } });
    expect(live.status).toBe(200);
    const reader = (live.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // the opening comment
    r.child.kill('SIGTERM');
    // The stream ends (done), rather than hanging until the process is killed.
    let ended = false;
    for (let i = 0; i < 100 && !ended; i++) ended = (await reader.read()).done;
    expect(ended).toBe(true);
    expect(await r.exited).toBe(0);
    expect(r.output.stdout).toMatch(/SIGTERM, shutting down/);
  });
});
