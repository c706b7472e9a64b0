/**
 * What Node's http server refuses before a request reaches the handler, over real
 * sockets on 127.0.0.1 (issue 11, findings 6 and 7): oversized headers and malformed
 * requests are answered in the documented JSON error body; sockets trickling headers and
 * slow bodies are cut at the configured timeouts with 408 `TIMEOUT`; connections past
 * the cap are answered 503 and closed. Counts are bounded and the timeouts short.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fullAccess } from '../../../src/server/access.ts';
import { createFetchHandler } from '../../../src/server/http/fetch-handler.ts';
import { createNodeServer, type NodeServerOptions, type NodeSyncServer } from '../../../src/server/node/node-server.ts';
import { memoryServerStore } from '../../../src/server/stores/memory-server-store.ts';
import { createSyncServer, type SyncServer } from '../../../src/server/sync-server.ts';
import { waitFor } from '../../support/wait.ts';
import { rawClient, trickle, type RawAnswer, type RawClient } from './raw-socket.ts';

const TOKEN = 'slow-clients-token';
let running: { server: SyncServer; node: NodeSyncServer; clients: RawClient[] }[] = [];

afterEach(async () => {
  for (const { server, node, clients } of running) {
    for (const client of clients) client.socket.destroy();
    await node.close();
    await server.close();
  }
  running = [];
});

async function serve(options: NodeServerOptions = {}) {
  const server = createSyncServer({
    store: memoryServerStore(),
    authenticate: (request) => (request.headers.get('authorization') === `Bearer ${TOKEN}` ? fullAccess('writer') : null),
  });
  const node = await createNodeServer(createFetchHandler(server, { onError: () => undefined }), { port: 0, ...options });
  const entry = { server, node, clients: [] as RawClient[] };
  running.push(entry);
  const open = (bytes?: string): RawClient => {
    const client = rawClient(node.url, bytes);
    entry.clients.push(client);
    return client;
  };
  return { url: node.url, node, open };
}

/** The JSON error body of a raw answer. */
function errorOf(answer: RawAnswer): { code?: string; message?: string } {
  expect(answer.head).toMatch(/content-type: application\/json/);
  return (JSON.parse(answer.body) as { error: { code?: string; message?: string } }).error;
}

async function health(url: string): Promise<number> {
  const response = await fetch(`${url}/sync/health`);
  await response.arrayBuffer();
  return response.status;
}

describe("Node's own refusals answer the documented JSON error body (finding 6)", () => {
  it('headers over 16 KB → 431 PAYLOAD_TOO_LARGE with a message, and the connection closes', async () => {
    const { url, open } = await serve();
    const answer = await open(`GET /sync/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`).answer;
    expect(answer.status).toBe(431);
    expect(errorOf(answer)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/headers/) });
    expect(await health(url)).toBe(200);
  });

  it('headers over 16 KB sent by fetch → 431 whose body a client can read', async () => {
    const { url } = await serve();
    const response = await fetch(`${url}/sync/health`, { headers: { 'x-big': 'a'.repeat(20 * 1024) } });
    expect(response.status).toBe(431);
    expect(await response.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it.each([
    ['a request line that is not HTTP', 'HELLO SERVER\r\n\r\n'],
    ['a header line without a colon', 'GET /sync/health HTTP/1.1\r\nHost: x\r\nnot a header\r\n\r\n'],
    ['a Content-Length that is not a number', 'POST /sync/push HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n'],
    ['both Content-Length and chunked', 'POST /sync/push HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ])('%s → 400 INVALID_PAYLOAD', async (_name, bytes) => {
    const { open } = await serve();
    const answer = await open(bytes).answer;
    expect(answer.status).toBe(400);
    expect(errorOf(answer)).toMatchObject({ code: 'INVALID_PAYLOAD' });
  });
});

describe('slow clients are cut at the configured timeouts (finding 7)', () => {
  it('50 sockets trickling headers are answered 408 TIMEOUT and closed, while health answers', async () => {
    const { url, open } = await serve({ headersTimeoutMs: 300, requestTimeoutMs: 1_000 });
    const clients = Array.from({ length: 50 }, () => open('POST /sync/push HTTP/1.1\r\nHost: x\r\n'));
    // A header line every 50 ms: each socket is busy, but its headers never end.
    const sent = Promise.all(clients.map((client) => trickle(client, 'X-Slow: 1\r\n', 50, 400)));
    expect(await health(url)).toBe(200);
    await waitFor('every trickling socket to be closed', () => clients.filter((client) => client.closed()).length, (n) => n === 50, { timeoutMs: 15_000 });
    for (const answer of await Promise.all(clients.map((client) => client.answer))) {
      expect(answer.status).toBe(408);
      expect(errorOf(answer)).toMatchObject({ code: 'TIMEOUT' });
    }
    // Cut long before the 400 pieces (20 s) each would have sent.
    expect(Math.max(...(await sent))).toBeLessThan(400);
  });

  it('20 authenticated pushes whose bodies trickle are answered 408 TIMEOUT and closed, while health answers', async () => {
    const { url, open } = await serve({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const head = `POST /sync/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`;
    const clients = Array.from({ length: 20 }, () => open(head));
    const sent = Promise.all(clients.map((client) => trickle(client, ' ', 50, 400)));
    expect(await health(url)).toBe(200);
    await waitFor('every slow body to be cut', () => clients.filter((client) => client.closed()).length, (n) => n === 20, { timeoutMs: 15_000 });
    for (const answer of await Promise.all(clients.map((client) => client.answer))) {
      expect(answer.status).toBe(408);
      expect(errorOf(answer)).toMatchObject({ code: 'TIMEOUT' });
    }
    expect(Math.max(...(await sent))).toBeLessThan(400);
  });

  it('a connection past maxConnections is answered 503 RATE_LIMITED with Retry-After and closed; once some close, new ones are served', async () => {
    const { url, node, open } = await serve({ maxConnections: 10, headersTimeoutMs: 20_000, requestTimeoutMs: 20_000 });
    const idle = Array.from({ length: 10 }, () => open());
    const count = () => new Promise<number>((resolve, reject) => node.server.getConnections((error, n) => (error === null ? resolve(n) : reject(error))));
    await waitFor('10 connections open', count, (n) => n === 10);
    const refused = await open('GET /sync/health HTTP/1.1\r\nHost: x\r\n\r\n').answer;
    expect(refused.status).toBe(503);
    expect(refused.head).toMatch(/retry-after: 1/);
    expect(errorOf(refused)).toMatchObject({ code: 'RATE_LIMITED' });
    for (const client of idle.slice(0, 5)) client.socket.destroy();
    await waitFor('5 connections open', count, (n) => n === 5);
    expect(await health(url)).toBe(200);
  });

  it('refuses a header timeout longer than the request timeout, or a limit that is not a positive integer', async () => {
    const handler = createFetchHandler(createSyncServer({ store: memoryServerStore() }));
    await expect(createNodeServer(handler, { port: 0, headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(createNodeServer(handler, { port: 0, maxConnections: 0 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
