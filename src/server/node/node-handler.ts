/**
 * Runs a fetch-style handler under Node's `http` module: `IncomingMessage` →
 * `Request` (its body streamed, its `signal` aborted when the client goes away) and
 * `Response` → `ServerResponse` (streamed chunk by chunk with backpressure, so live SSE
 * pokes go out as they happen and a slow reader never makes the server buffer a
 * whole pull page). Written here rather than taken from `@hono/node-server` so that the
 * package carries no server framework: a browser app that installs pulsesync gets
 * only what its page and worker need.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/** A Node request listener; `next` is accepted (and unused) so it mounts as Express/Connect middleware. */
export type NodeHandler = (request: IncomingMessage, response: ServerResponse, next?: (error?: unknown) => void) => void;

/**
 * A Node request listener over a fetch handler.
 *
 * @example
 * // plain node:http, sync routes beside your own
 * const sync = toNodeHandler(createFetchHandler(server, { basePath: '/api', authenticate }));
 * http.createServer((req, res) => (req.url?.startsWith('/api/sync/') ? sync(req, res) : app(req, res)));
 * // Express strips the mount path from req.url, so no basePath there:
 * app.use('/api', toNodeHandler(createFetchHandler(server, { authenticate })));
 */
export function toNodeHandler(fetchHandler: (request: Request) => Promise<Response>): NodeHandler {
  return (request, response) => {
    const aborted = new AbortController();
    // The client went away before the answer was complete: end the handler's work
    // (a live stream, a pull being read) instead of writing into a closed socket.
    response.once('close', () => {
      if (!response.writableFinished) aborted.abort();
    });
    void serve(fetchHandler, request, response, aborted.signal).catch((error: unknown) => {
      if (!response.headersSent) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'The server failed to answer this request' } }));
      } else {
        response.destroy(error instanceof Error ? error : undefined);
      }
    });
  };
}

async function serve(
  fetchHandler: (request: Request) => Promise<Response>,
  request: IncomingMessage,
  response: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const answer = await fetchHandler(toRequest(request, signal));
  const headers: Record<string, string | string[]> = {};
  answer.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = answer.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  response.writeHead(answer.status, answer.statusText, headers);
  if (answer.body === null || request.method === 'HEAD') {
    response.end();
    return;
  }
  const reader = answer.body.getReader();
  const stop = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || signal.aborted) break;
      // Backpressure: wait for the socket to drain before reading the next chunk.
      if (!response.write(value)) await drained(response, signal);
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
  if (!signal.aborted) response.end();
}

/** Resolves when `response` can take more, or when the client has gone. */
function drained(response: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    response.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The fetch `Request` for a Node request; its body is streamed, not buffered here. */
function toRequest(request: IncomingMessage, signal: AbortSignal): Request {
  const host = request.headers.host ?? 'localhost';
  const url = new URL(request.url ?? '/', `http://${host}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const one of value) headers.append(name, one);
    else headers.set(name, value);
  }
  const method = request.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const init: RequestInit & { duplex?: 'half' } = { method, headers, signal };
  if (hasBody) {
    init.body = Readable.toWeb(request) as ReadableStream<Uint8Array>;
    init.duplex = 'half';
  }
  return new Request(url, init);
}
