/**
 * A push answered is a push kept: the real `pulsesync-server` command on a SQLite file,
 * several clients pushing back to back, killed with SIGKILL while pushes are in flight;
 * the file, opened again, holds every change any answer acknowledged. (The store flushes
 * each commit to disk before answering, off the event loop: `wal-sync.ts`. A kill of the
 * process is what a test can do; the flush is what makes a power loss the same.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatHlc } from '../../../src/clock/hlc.ts';
import { PROTOCOL_VERSION, type PushResponse, type SyncChange } from '../../../src/protocol/types.ts';
import { sqliteServerStore } from '../../../src/server/stores/sqlite/sqlite-server-store.ts';
import { readAll } from '../../../src/testing/server-store-fixture.ts';
import { waitFor } from '../../support/wait.ts';

const BIN = fileURLToPath(new URL('../../../bin/pulsesync-server.js', import.meta.url));
const TOKEN = 'crash-durability-token';
const dir = mkdtempSync(join(tmpdir(), 'pulsesync-crash-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startServer(db: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, '--host', '127.0.0.1', '--port', '0', '--token', TOKEN, '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.resume();
  const line = await waitFor('the listening line', () => out, (text) => /http:\/\/127\.0\.0\.1:\d+/.test(text) || child.exitCode !== null, { timeoutMs: 30_000 });
  const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line);
  if (match === null) throw new Error('the server did not start');
  return { child, url: match[1] as string };
}

async function post<T>(url: string, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as T;
}

const CLIENTS = 8;
const BATCH = 20;

describe('pulsesync-server on SQLite, killed with SIGKILL while pushes are in flight', () => {
  it('keeps every change an answer acknowledged', async () => {
    const db = join(dir, 'crash.db');
    const { child, url } = await startServer(db);
    const sources = Array.from({ length: CLIENTS }, () => randomUUID());
    for (const instanceId of sources) await post(url, '/sync/handshake', { instanceId, protocolVersion: PROTOCOL_VERSION, capabilities: [] });
    /** The highest seq acknowledged to each source. */
    const acked = new Map<string, number>(sources.map((source) => [source, 0]));
    let answered = 0;
    const pushing = sources.map(async (source) => {
      for (let round = 0; ; round++) {
        const changes: SyncChange[] = Array.from({ length: BATCH }, (_, k) => {
          const seq = round * BATCH + k + 1;
          return { seq, source, collective: 'notes', id: `${source}/${seq}`, op: 'put', value: { seq }, hlc: formatHlc({ wallMs: Date.now(), counter: seq, node: source }), baseVersion: null };
        });
        let answer: PushResponse;
        try {
          answer = await post<PushResponse>(url, '/sync/push', { instanceId: source, policy: 'last-write-wins', changes });
        } catch {
          return; // the server is gone
        }
        acked.set(source, answer.ackedSeq);
        answered++;
      }
    });
    // Killed in the middle of the load: some pushes answered, others in flight.
    await waitFor('pushes answered', () => answered, (n) => n >= 5 * CLIENTS, { timeoutMs: 60_000 });
    child.kill('SIGKILL');
    await Promise.all(pushing);
    const store = sqliteServerStore(db);
    try {
      const kept = new Set((await readAll(store)).map((row) => row.id));
      const lost = sources.flatMap((source) => Array.from({ length: acked.get(source) as number }, (_, i) => `${source}/${i + 1}`).filter((id) => !kept.has(id)));
      expect(lost).toEqual([]);
      expect([...acked.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(5 * CLIENTS * BATCH);
    } finally {
      await store.close();
    }
  }, 90_000);
});
