/**
 * The `pulsesync-server` command passes its bounds on slow and numerous clients to the
 * server it runs (issue 11, finding 7): `--headers-timeout-ms`, `--request-timeout-ms`
 * and `--max-connections`, checked on the real process over 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../../../tools/server-process.ts';
import { waitFor } from '../../support/wait.ts';
import { rawClient, trickle, type RawClient } from './raw-socket.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('pulsesync-server --headers-timeout-ms --request-timeout-ms --max-connections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsesync-bounds-'));
  const clients: RawClient[] = [];
  let slow: ServerProcess;
  let capped: ServerProcess;

  beforeAll(async () => {
    [slow, capped] = await Promise.all([
      startServerProcess(ROOT, ['--db', join(dir, 'slow.db'), '--headers-timeout-ms', '300', '--request-timeout-ms', '600']),
      startServerProcess(ROOT, ['--db', join(dir, 'capped.db'), '--max-connections', '8']),
    ]);
  });

  afterAll(async () => {
    for (const client of clients) client.socket.destroy();
    await Promise.all([slow?.stop(), capped?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('cuts a socket trickling its headers with 408 TIMEOUT', async () => {
    const client = rawClient(slow.url, 'GET /sync/health HTTP/1.1\r\nHost: x\r\n');
    clients.push(client);
    const sent = await trickle(client, 'X-Slow: 1\r\n', 50, 400);
    const answer = await client.answer;
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'TIMEOUT' } });
    expect(sent).toBeLessThan(400);
  });

  it('answers a connection past 8 with 503 RATE_LIMITED', async () => {
    // Unfinished requests, held for the default header timeout (10 s).
    const held = Array.from({ length: 8 }, () => rawClient(capped.url, 'GET /sync/health HTTP/1.1\r\nHost: x\r\n'));
    clients.push(...held);
    await waitFor('8 connections to open', () => held.every((c) => c.socket.readyState === 'open'), Boolean);
    const refused = rawClient(capped.url, 'GET /sync/health HTTP/1.1\r\nHost: x\r\n\r\n');
    clients.push(refused);
    const answer = await refused.answer;
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'RATE_LIMITED' } });
  });
});
