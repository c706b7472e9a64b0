/**
 * The network transport: the sync protocol over `fetch` (in a Web Worker, a page or
 * Node), every response validated, every failure a SyncError the engine can act on.
 */
import { ErrorCode, SyncError, isSyncErrorData } from '../protocol/errors.ts';
import {
  parseHandshakeResponse,
  parseHealthResponse,
  parsePullResponse,
  parsePushResponse,
} from '../protocol/validate.ts';
import type { LiveHandlers, SyncTransport } from './types.ts';
import { openSseChannel } from './sse.ts';
import { globalTimers, type TransportTimers } from './timers.ts';

/** A bearer token, or nothing to send. */
export type TokenSource = () => string | null | undefined | Promise<string | null | undefined>;

/** Options of {@link httpTransport}. */
export interface HttpTransportOptions {
  /** The server's base URL; routes are `${url}/sync/...`. */
  readonly url: string;
  /** Extra headers on every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The bearer token. Asked once and kept; after a 401 it is asked again, once, and
   * the request retried before failing `UNAUTHORIZED` — so return a fresh token then.
   * If it throws, the request fails `TRANSPORT` (retried, and asked again next time).
   */
  readonly getToken?: TokenSource;
  /** Default `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
  /** Time limit of each request, body included. Default 30 s; then `TIMEOUT`. */
  readonly timeoutMs?: number;
  /** Timers of the request timeout and of the live channel. Default the global ones. */
  readonly timers?: TransportTimers;
  /** Wall clock, for `Retry-After` given as an HTTP date. Default `Date.now`. */
  readonly now?: () => number;
  /** Open the live (SSE) channel when the engine asks for it. Default true. */
  readonly live?: boolean;
  /** Reconnect schedule, its jitter source and the dead-connection timeout of the live channel. */
  readonly liveOptions?: {
    readonly initialDelayMs?: number;
    readonly maxDelayMs?: number;
    readonly idleTimeoutMs?: number;
    readonly random?: () => number;
  };
}

type Route = 'handshake' | 'push' | 'pull' | 'health';

/**
 * Milliseconds from a `Retry-After` header (delay-seconds or an HTTP date), if usable.
 * Exported for tests.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The code for a failed status when the body names none of ours; any other is `TRANSPORT` (5xx from a proxy, a gateway page…). */
const CODE_OF_STATUS: Readonly<Partial<Record<number, ErrorCode>>> = {
  400: ErrorCode.INVALID_PAYLOAD,
  422: ErrorCode.INVALID_PAYLOAD,
  401: ErrorCode.UNAUTHORIZED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  405: ErrorCode.NOT_FOUND,
  408: ErrorCode.TIMEOUT,
  504: ErrorCode.TIMEOUT,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
};

/**
 * A {@link SyncTransport} over HTTP.
 *
 * Failures: no answer in `timeoutMs` → `TIMEOUT`; no connection → `TRANSPORT`; 429 and
 * 503 → `RATE_LIMITED` with `details.retryAfterMs` from `Retry-After` (the engine's
 * backoff waits at least that long); 401 → the token is asked again once, then
 * `UNAUTHORIZED`; other error bodies → a SyncError with the server's code and message.
 *
 * @example
 * const transport = httpTransport({ url: 'https://sync.example.com', getToken: () => session.token });
 */
export function httpTransport(options: HttpTransportOptions): SyncTransport {
  const base = options.url.replace(/\/+$/, '');
  const fetchFn = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const timers = options.timers ?? globalTimers;
  const now = options.now ?? (() => Date.now());
  type TokenPromise = Promise<string | null | undefined>;
  let token: TokenPromise | undefined;

  /**
   * The token to send. `refused` is the one a 401 answered: it is asked again — unless
   * a concurrent call has already done so, in which case that fresh token is used.
   */
  function tokenFor(refused: TokenPromise | undefined): TokenPromise {
    const getToken = options.getToken;
    if (getToken === undefined) return Promise.resolve(undefined);
    if (token === undefined || token === refused) {
      const asked = Promise.resolve().then(getToken);
      token = asked;
      // A failed getToken is not kept: the next request asks again.
      asked.catch(() => {
        if (token === asked) token = undefined;
      });
    }
    return token;
  }

  /** Headers for one request, and the token promise they were made from. */
  async function headers(refused: TokenPromise | undefined): Promise<{ headers: Record<string, string>; used: TokenPromise }> {
    const all: Record<string, string> = { ...options.headers };
    const used = tokenFor(refused);
    let value: string | null | undefined;
    try {
      value = await used;
    } catch (error) {
      // A getToken that throws could not get a token now (its own service unreachable, as
      // when an app starts offline): retried like a network failure. A token the server
      // refuses is UNAUTHORIZED, final; failing that here stopped sync for good offline.
      throw new SyncError(ErrorCode.TRANSPORT, `getToken() failed (retrying): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (typeof value === 'string' && value !== '') all['authorization'] = `Bearer ${value}`;
    return { headers: all, used };
  }

  async function send(
    route: Route,
    body: unknown,
    refused: TokenPromise | undefined,
  ): Promise<{ status: number; headers: Headers; json: unknown; used: TokenPromise }> {
    const { headers: auth, used } = await headers(refused);
    const controller = new AbortController();
    const timer = timers.setTimeout(() => controller.abort(), timeoutMs);
    const init: RequestInit = {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? auth : { 'content-type': 'application/json', ...auth },
      signal: controller.signal,
      cache: 'no-store',
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    const url = `${base}/sync/${route}`;
    try {
      const response = await fetchFn(url, init);
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text) as unknown;
      } catch {
        // Not JSON (an empty body, a proxy's page): json stays undefined.
      }
      if (response.ok && json === undefined) {
        throw new SyncError(ErrorCode.INVALID_PAYLOAD, `The ${route} answer is not JSON (is ${base} a pulsesync server?)`, {
          details: { status: response.status },
        });
      }
      return { status: response.status, headers: response.headers, json, used };
    } catch (error) {
      if (error instanceof SyncError) throw error;
      if (controller.signal.aborted) {
        throw new SyncError(ErrorCode.TIMEOUT, `${route} got no answer from ${url} within ${timeoutMs} ms`, { cause: error, details: { timeoutMs } });
      }
      const cause = error instanceof Error ? error.cause : undefined;
      const detail = cause instanceof Error ? ` (${(cause as { code?: unknown }).code ?? cause.message})` : '';
      const reason = `${error instanceof Error ? error.message : String(error)}${detail}`;
      throw new SyncError(ErrorCode.TRANSPORT, `Could not reach ${url}: ${reason}`, { cause: error });
    } finally {
      timers.clearTimeout(timer);
    }
  }

  function failure(route: Route, status: number, responseHeaders: Headers, json: unknown): SyncError {
    const body = typeof json === 'object' && json !== null ? (json as { error?: unknown }).error : undefined;
    const data = isSyncErrorData(body) ? body : undefined;
    const message = data?.message ?? `${route} failed with HTTP ${status}`;
    if (status === 429 || status === 503) {
      const retryAfterMs = parseRetryAfter(responseHeaders.get('retry-after'), now());
      return new SyncError(ErrorCode.RATE_LIMITED, message, {
        details: { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
      });
    }
    // A server's own code, except from a bare proxy page; an auth failure stays UNAUTHORIZED.
    const code = status === 401 ? ErrorCode.UNAUTHORIZED : (data?.code ?? CODE_OF_STATUS[status] ?? ErrorCode.TRANSPORT);
    return new SyncError(code, message, { details: { status, ...data?.details } });
  }

  async function call<T>(route: Route, body: unknown, parse: (input: unknown) => T): Promise<T> {
    let result = await send(route, body, undefined);
    if (result.status === 401 && options.getToken !== undefined) result = await send(route, body, result.used);
    if (result.status < 200 || result.status >= 300) throw failure(route, result.status, result.headers, result.json);
    return parse(result.json);
  }

  const transport: SyncTransport = {
    handshake: (request) => call('handshake', request, parseHandshakeResponse),
    push: (request) => call('push', request, parsePushResponse),
    pull: (request) => call('pull', request, parsePullResponse),
    health: () => call('health', undefined, parseHealthResponse),
  };
  if (options.live !== false) {
    transport.live = (handlers: LiveHandlers) => {
      /** The token of the last attempt: after a 401, the refused one. */
      let used: TokenPromise | undefined;
      return openSseChannel(
        {
          url: `${base}/sync/live`,
          fetch: fetchFn,
          timers,
          headers: async (unauthorized) => {
            const made = await headers(unauthorized ? used : undefined);
            used = made.used;
            return made.headers;
          },
          ...options.liveOptions,
        },
        handlers,
      );
    };
  }
  return transport;
}
