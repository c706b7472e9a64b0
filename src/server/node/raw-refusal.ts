/**
 * Refusals that Node's http server makes before a request reaches the fetch handler —
 * headers too large, a malformed request, a request too slow, a connection over the
 * cap — written straight to the socket in the documented error body
 * `{ "error": { "code", "message" } }` (issue 11, finding 6: Node's own answer to 16 KB
 * of headers was a bare 431 with an empty body, which a client can only guess at).
 */
import type { Duplex } from 'node:stream';
import { ErrorCode, SyncError } from '../../protocol/errors.ts';
import type { ErrorResponse } from '../../protocol/types.ts';

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
  503: 'Service Unavailable',
};

/**
 * What Node's `clientError` means, as a SyncError and the status to answer it with.
 * Codes are Node's (`ERR_HTTP_REQUEST_TIMEOUT`) and llhttp's (`HPE_*`).
 */
export function clientErrorRefusal(error: Error & { code?: unknown }, limits: { readonly headersTimeoutMs: number; readonly requestTimeoutMs: number }): { status: number; error: SyncError } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        error: new SyncError(ErrorCode.PAYLOAD_TOO_LARGE, 'The request headers are larger than the server accepts (16 KB in all): send fewer or shorter headers'),
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, error: new SyncError(ErrorCode.PAYLOAD_TOO_LARGE, 'The chunk extensions of the request body are larger than the server accepts') };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        error: new SyncError(
          ErrorCode.TIMEOUT,
          `The request did not arrive in time: its headers must arrive within ${limits.headersTimeoutMs} ms and the whole request within ${limits.requestTimeoutMs} ms; send it again over a faster connection`,
          { details: { headersTimeoutMs: limits.headersTimeoutMs, requestTimeoutMs: limits.requestTimeoutMs } },
        ),
      };
    default:
      return { status: 400, error: new SyncError(ErrorCode.INVALID_PAYLOAD, `The request is not valid HTTP/1.1 (${typeof error.code === 'string' ? error.code : 'parse error'}); nothing was read from it`) };
  }
}

/** The refusal of a connection over the server's cap. */
export function overCapacityRefusal(maxConnections: number): { status: number; error: SyncError; headers: Readonly<Record<string, string>> } {
  return {
    // 503 with Retry-After: the server, not this client, is over its limit.
    status: 503,
    error: new SyncError(ErrorCode.RATE_LIMITED, `The server has ${maxConnections} connections open, as many as it takes; try again shortly`, {
      details: { maxConnections, retryAfterMs: 1000 },
    }),
    headers: { 'retry-after': '1' },
  };
}

/**
 * Writes `status` with `error` as the JSON error body and closes the socket, as Node's
 * own refusal does (write, then destroy: the peer may still be sending). Writes nothing
 * when the socket cannot take it or a response already started on it (the peer would
 * read the two as one).
 */
export function refuseOnSocket(socket: Duplex, status: number, error: SyncError, options: { readonly responseStarted?: boolean; readonly headers?: Readonly<Record<string, string>> } = {}): void {
  if (socket.writable && options.responseStarted !== true) {
    const body: ErrorResponse = { error: error.toJSON() };
    const json = JSON.stringify(body);
    const lines = [
      `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`,
      'content-type: application/json; charset=utf-8',
      'cache-control: no-store',
      `content-length: ${Buffer.byteLength(json)}`,
      'connection: close',
      ...Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
    ];
    socket.write(`${lines.join('\r\n')}\r\n\r\n${json}`);
  }
  socket.destroy();
}
