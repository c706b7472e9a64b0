/**
 * The fetch handler's HTTP behaviour beyond validation: CORS, mounting under a base
 * path (alone and inside a Node app), the live SSE stream, and closing.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createFetchHandler } from '../../../src/server/http/fetch-handler.ts';
import { tokenAuth, constantTimeEqual } from '../../../src/server/http/token-auth.ts';
import { toNodeHandler } from '../../../src/server/node/node-handler.ts';
import { createSyncServer, type SyncServer } from '../../../src/server/sync-server.ts';
import { memoryServerStore } from '../../../src/server/stores/memory-server-store.ts';
import type { ServerTimers } from '../../../src/server/timers.ts';
import { waitFor } from '../../support/wait.ts';
import { newInstanceId, pushBody, putChange } from './wire-messages.ts';

const TOKEN = 'fetch-handler-token';
const auth = { authorization: `Bearer ${TOKEN}` };
let servers: SyncServer[] = [];

function newServer(): SyncServer {
  const server = createSyncServer({ store: memoryServerStore(), authenticate: tokenAuth(TOKEN) });
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

/** Timers a test runs by hand: `tick()` fires every interval once. */
function manualTimers(): ServerTimers & { intervals(): number[]; tick(): void } {
  const intervals = new Map<number, { callback: () => void; ms: number }>();
  let next = 0;
  return {
    setTimeout: () => {
      throw new Error('no timeouts expected');
    },
    clearTimeout: () => undefined,
    setInterval: (callback, ms) => {
      intervals.set(++next, { callback, ms });
      return next;
    },
    clearInterval: (handle) => intervals.delete(handle as number),
    intervals: () => [...intervals.values()].map((entry) => entry.ms),
    tick: () => {
      for (const { callback } of [...intervals.values()]) callback();
    },
  };
}

/** Reads an SSE body as text until `done(text)` holds (bounded). */
async function readUntil(body: ReadableStream<Uint8Array>, done: (text: string) => boolean): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (let i = 0; i < 1000 && !done(text); i++) {
      const { done: ended, value } = await reader.read();
      if (ended) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text;
}

describe('CORS', () => {
  it('answers a preflight with the allowed origin, methods and the Authorization header', async () => {
    const response = await createFetchHandler(newServer())(new Request('http://x/sync/push', { method: 'OPTIONS', headers: { origin: 'http://localhost:5173' } }));
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toMatch(/Authorization/i);
  });

  it('echoes only a listed origin when given a list', async () => {
    const handler = createFetchHandler(newServer(), { cors: { origin: ['https://app.example'] } });
    const listed = await handler(new Request('http://x/sync/health', { headers: { origin: 'https://app.example' } }));
    const other = await handler(new Request('http://x/sync/health', { headers: { origin: 'https://evil.example' } }));
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('puts CORS headers on errors too, so a browser can read the error body', async () => {
    const response = await createFetchHandler(newServer())(new Request('http://x/sync/pull', { method: 'POST', body: '{}', headers: { origin: 'http://a' } }));
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('mounting under a base path', () => {
  it('serves the routes under the prefix and nothing outside it', async () => {
    const handler = createFetchHandler(newServer(), { basePath: '/api/' });
    expect((await handler(new Request('http://x/api/sync/health'))).status).toBe(200);
    expect((await handler(new Request('http://x/sync/health'))).status).toBe(404);
    expect((await handler(new Request('http://x/apix/sync/health'))).status).toBe(404);
  });

  it('runs inside an existing Node http app beside its own routes', async () => {
    const sync = toNodeHandler(createFetchHandler(newServer(), { basePath: '/api' }));
    const app = createServer((req, res) => {
      if (req.url?.startsWith('/api/sync/') === true) return sync(req, res);
      res.end('the app');
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    try {
      expect(await (await fetch(`${url}/`)).text()).toBe('the app');
      const pulled = await fetch(`${url}/api/sync/pull`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ instanceId: newInstanceId(), cursor: 0, batchSize: 10 }),
      });
      expect(pulled.status).toBe(200);
      expect(await pulled.json()).toMatchObject({ changes: [], hasMore: false });
    } finally {
      app.closeAllConnections();
      await new Promise((resolve) => app.close(resolve));
    }
  });
});

describe('the live channel', () => {
  it('streams text/event-stream and says poke when a push commits', async () => {
    const handler = createFetchHandler(newServer());
    const response = await handler(new Request('http://x/sync/live', { headers: auth }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = response.body as ReadableStream<Uint8Array>;
    const source = newInstanceId();
    const reading = readUntil(body, (text) => text.includes('event: poke'));
    const push = await handler(
      new Request('http://x/sync/push', { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(pushBody(source, [putChange(source, 1, 'a', 1)])) }),
    );
    expect(push.status).toBe(200);
    expect(await reading).toContain('event: poke\ndata: {}\n\n');
  });

  it('sends heartbeats on an idle stream, on the timers it was given, and stops them when the stream ends', async () => {
    const timers = manualTimers();
    const handler = createFetchHandler(newServer(), { heartbeatMs: 20, timers });
    const response = await handler(new Request('http://x/sync/live', { headers: auth }));
    expect(timers.intervals()).toEqual([20]);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    expect(decoder.decode((await reader.read()).value)).toContain('pulsesync live');
    timers.tick();
    expect(decoder.decode((await reader.read()).value)).toBe(': heartbeat\n\n');
    await reader.cancel();
    expect(timers.intervals()).toEqual([]);
  });

  it('ends its live streams when the sync server closes, though the handler itself was not closed', async () => {
    const server = newServer();
    const handler = createFetchHandler(server);
    const response = await handler(new Request('http://x/sync/live', { headers: auth }));
    const text = readUntil(response.body as ReadableStream<Uint8Array>, () => false);
    expect(handler.liveConnections).toBe(1);
    await server.close();
    expect(await text).toContain('pulsesync live');
    expect(handler.liveConnections).toBe(0);
  });

  it('close() ends open streams and later requests get 503 SHUTDOWN', async () => {
    const handler = createFetchHandler(newServer());
    const response = await handler(new Request('http://x/sync/live', { headers: auth }));
    expect(handler.liveConnections).toBe(1);
    const text = readUntil(response.body as ReadableStream<Uint8Array>, () => false);
    handler.close();
    expect(await text).toContain('pulsesync live');
    await waitFor('streams to close', () => handler.liveConnections, (n) => n === 0);
    const later = await handler(new Request('http://x/sync/health'));
    expect(later.status).toBe(503);
    expect(((await later.json()) as { error: { code: string } }).error.code).toBe('SHUTDOWN');
  });

  it('a client that goes away unsubscribes its stream', async () => {
    const handler = createFetchHandler(newServer());
    const response = await handler(new Request('http://x/sync/live', { headers: auth }));
    await (response.body as ReadableStream<Uint8Array>).cancel();
    expect(handler.liveConnections).toBe(0);
  });
});

describe('tokenAuth', () => {
  it('accepts exactly the token as a Bearer credential', async () => {
    const authenticate = tokenAuth(TOKEN);
    const ask = (header?: string) => authenticate(new Request('http://x/', header === undefined ? {} : { headers: { authorization: header } }));
    expect(await ask(`Bearer ${TOKEN}`)).not.toBeNull();
    expect(await ask(`bearer ${TOKEN}`)).not.toBeNull();
    for (const bad of [undefined, '', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, TOKEN, `Basic ${TOKEN}`]) expect(await ask(bad)).toBeNull();
  });

  it('compares strings of any length without throwing', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});
