/**
 * The HTTP face of a sync server: a fetch-style handler (`Request → Response`), so the
 * same code serves under Node's http server (see `../node/`), Hono, Deno, Bun or a
 * worker runtime.
 *
 * Routes, under an optional `basePath`:
 *   POST /sync/handshake | /sync/push | /sync/pull   JSON in, JSON out (gzipped when accepted: json-answer.ts)
 *   GET  /sync/health                                no auth
 *   GET  /sync/live                                  Server-Sent Events: `poke` on commit
 * Failures answer `{ error: { code, message } }` with the status of `error-response.ts`.
 */
import { ErrorCode, SyncError } from '../../protocol/errors.ts';
import { errorResponse, jsonResponse } from './error-response.ts';
import { jsonAnswer, jsonTextAnswer, type AnswerCompression } from './json-answer.ts';
import { readJsonBody } from './read-body.ts';
import { DEFAULT_HEARTBEAT_MS, openLiveStream, type LiveStream } from './live-stream.ts';
import type { Access, Authenticate } from '../access.ts';
import { DEFAULT_LIMITS, type ServerLimits } from '../limits.ts';
import { pullAnswerJson } from '../stored-json.ts';
import type { SyncServer } from '../sync-server.ts';
import type { ServerTimers } from '../timers.ts';

/**
 * What the handler needs of a sync server: its handlers and commit feed, and, when
 * present, the `authenticate` and `limits` it was created with (used unless the
 * handler's options say otherwise) and the `signal` that ends live streams when it closes.
 */
export type SyncServerCore = Pick<SyncServer, 'handleHandshake' | 'handlePush' | 'handlePull' | 'handleHealth' | 'onChanges'> &
  Partial<Pick<SyncServer, 'authenticate' | 'limits' | 'signal'>>;

/** CORS settings. */
export interface CorsOptions {
  /**
   * Origins allowed to call the server from a browser: `'*'` (the default: the token,
   * not the origin, is the guard), one origin, or a list (the request's origin is
   * echoed when listed). `false` sends no CORS headers at all.
   */
  readonly origin?: string | readonly string[] | false;
}

/** Options of {@link createFetchHandler}. */
export interface FetchHandlerOptions {
  /**
   * Who is calling: an identity, or null for "no valid identity" (answered 401 on every
   * route but health). Default: the server's own `authenticate`. Without either, every caller gets full access — fine in-process or
   * behind your own auth, never on an open port (the command refuses to start so).
   */
  readonly authenticate?: Authenticate | undefined;
  /** Only `maxBodyBytes` and `maxJsonNodes` matter here (the rest is the sync server's). */
  readonly limits?: Partial<ServerLimits> | undefined;
  /** Path prefix the routes live under, e.g. `/api` for `/api/sync/push`. Default none. */
  readonly basePath?: string | undefined;
  readonly cors?: CorsOptions | undefined;
  /** Heartbeat interval of live streams. Default 15 s. */
  readonly heartbeatMs?: number | undefined;
  /** Where live-stream heartbeats are scheduled. Default the runtime's timers. */
  readonly timers?: ServerTimers | undefined;
  /**
   * Gzip for answers of 1 KiB of JSON or more when the caller accepts it (browsers and
   * Node's fetch do, and decode on their own), or `false` for none (say, behind a proxy
   * that compresses). Default on.
   */
  readonly compression?: AnswerCompression | false | undefined;
  /** Where unexpected failures (answered 500 INTERNAL) are reported. Default `console.error`. */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** A fetch-style handler; `close()` ends every open live stream. */
export interface FetchHandler {
  (request: Request): Promise<Response>;
  /** Ends open live streams and answers later requests 503 `SHUTDOWN`. */
  close(): void;
  /** Live streams open now. */
  readonly liveConnections: number;
}

type Route = 'handshake' | 'push' | 'pull' | 'health' | 'live';
const ROUTES: Readonly<Record<string, { readonly method: 'GET' | 'POST'; readonly route: Route }>> = {
  '/sync/handshake': { method: 'POST', route: 'handshake' },
  '/sync/push': { method: 'POST', route: 'push' },
  '/sync/pull': { method: 'POST', route: 'pull' },
  '/sync/health': { method: 'GET', route: 'health' },
  '/sync/live': { method: 'GET', route: 'live' },
};

/** Normalises a base path to `''` or `/x/y` (leading slash, no trailing one). */
function normaliseBasePath(basePath: string | undefined): string {
  if (basePath === undefined) return '';
  const trimmed = basePath.replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/**
 * A fetch-style handler over `server`.
 *
 * @example
 * const handler = createFetchHandler(server, { authenticate: tokenAuth(process.env.TOKEN!) });
 * const response = await handler(new Request('http://x/sync/health'));
 */
export function createFetchHandler(server: SyncServerCore, options: FetchHandlerOptions = {}): FetchHandler {
  const basePath = normaliseBasePath(options.basePath);
  const maxBodyBytes = options.limits?.maxBodyBytes ?? server.limits?.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes;
  const maxJsonNodes = options.limits?.maxJsonNodes ?? server.limits?.maxJsonNodes ?? DEFAULT_LIMITS.maxJsonNodes;
  const body = (request: Request): Promise<unknown> => readJsonBody(request, maxBodyBytes, maxJsonNodes);
  const authenticate = options.authenticate ?? server.authenticate;
  const report = options.onError ?? ((error: unknown) => console.error('pulsesync-server: unexpected failure', error));
  const streams = new Set<LiveStream>();
  const compression = options.compression ?? {};
  let closed = false;

  function corsHeaders(request: Request): Headers {
    const headers = new Headers();
    const allowed = options.cors?.origin ?? '*';
    if (allowed === false) return headers;
    const origin = request.headers.get('origin');
    if (typeof allowed === 'string') {
      headers.set('access-control-allow-origin', allowed);
      if (allowed !== '*') headers.set('vary', 'Origin');
    } else {
      headers.set('vary', 'Origin');
      if (origin !== null && allowed.includes(origin)) headers.set('access-control-allow-origin', origin);
    }
    // Retry-After must be readable by a cross-origin client for its backoff to honour it.
    headers.set('access-control-expose-headers', 'Retry-After');
    return headers;
  }

  async function identify(request: Request): Promise<Access | undefined> {
    if (authenticate === undefined) return undefined;
    const access = await authenticate(request);
    if (access === null || access === undefined) {
      throw new SyncError(ErrorCode.UNAUTHORIZED, 'No valid credentials: send `Authorization: Bearer <token>` with a token the server accepts');
    }
    return access;
  }

  async function answer(request: Request, route: Route): Promise<Response> {
    if (route === 'health') return jsonResponse(await server.handleHealth({}), 200);
    const access = await identify(request);
    switch (route) {
      case 'live':
        return live(request, access);
      case 'handshake':
        return jsonAnswer(request, await server.handleHandshake(await body(request), access), compression);
      case 'push':
        return jsonAnswer(request, await server.handlePush(await body(request), access), compression);
      case 'pull':
        return jsonTextAnswer(request, pullAnswerJson(await server.handlePull(await body(request), access)), compression);
    }
  }

  function live(request: Request, access: Access | undefined): Response {
    // A client that goes away before the host pipes the body never cancels it: end the
    // stream (its subscription and heartbeat timer) on the request's abort as well, and
    // when the sync server closes under a handler that was not closed itself.
    const signals = [request.signal, server.signal].filter((signal) => signal !== undefined);
    const end = (): void => stream.close();
    const stream = openLiveStream({
      // Pokes only for commits the caller may read (see SyncServer.onChanges).
      subscribe: (listener) => server.onChanges(listener, access),
      heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      ...(options.timers === undefined ? {} : { timers: options.timers }),
      onClose: () => {
        streams.delete(stream);
        for (const signal of signals) signal.removeEventListener('abort', end);
      },
    });
    streams.add(stream);
    for (const signal of signals) signal.addEventListener('abort', end, { once: true });
    if (signals.some((signal) => signal.aborted)) stream.close();
    return new Response(stream.body, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store, no-transform',
        // nginx buffers proxied responses unless told not to; a buffered poke is a late poke.
        'x-accel-buffering': 'no',
      },
    });
  }

  async function handle(request: Request): Promise<Response> {
    const cors = corsHeaders(request);
    const withCors = (response: Response): Response => {
      // Vary adds to the answer's own (Accept-Encoding); the rest replaces.
      for (const [name, value] of cors) response.headers[name === 'vary' ? 'append' : 'set'](name, value);
      return response;
    };
    const { pathname } = new URL(request.url);
    const path = basePath === '' ? pathname : pathname.startsWith(`${basePath}/`) ? pathname.slice(basePath.length) : undefined;
    const entry = path === undefined ? undefined : ROUTES[path];
    if (entry === undefined) {
      return withCors(errorResponse(new SyncError(ErrorCode.NOT_FOUND, `No route ${request.method} ${pathname}: the sync routes are ${basePath}/sync/{handshake,push,pull,health,live}`)));
    }
    if (request.method === 'OPTIONS') {
      const headers = cors;
      headers.set('access-control-allow-methods', `${entry.method}, OPTIONS`);
      headers.set('access-control-allow-headers', 'Authorization, Content-Type');
      headers.set('access-control-max-age', '600');
      return new Response(null, { status: 204, headers });
    }
    if (request.method !== entry.method && !(entry.route === 'health' && request.method === 'HEAD')) {
      const response = errorResponse(new SyncError(ErrorCode.NOT_FOUND, `${path} takes ${entry.method}, not ${request.method}`), { status: 405 });
      response.headers.set('allow', `${entry.method}, OPTIONS`);
      return withCors(response);
    }
    if (closed) {
      return withCors(errorResponse(new SyncError(ErrorCode.SHUTDOWN, 'The server is shutting down; try again shortly', { details: { retryAfterMs: 1000 } })));
    }
    try {
      return withCors(await answer(request, entry.route));
    } catch (error) {
      return withCors(errorResponse(error, { report }));
    }
  }

  const handler = handle as FetchHandler;
  Object.defineProperty(handler, 'liveConnections', { get: () => streams.size });
  handler.close = () => {
    closed = true;
    for (const stream of [...streams]) stream.close();
  };
  return handler;
}
