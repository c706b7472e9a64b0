/**
 * How a SyncError becomes an HTTP response: one status per code, and the body
 * `{ error: { code, message, details? } }` that `httpTransport` turns back into the
 * same SyncError on the client.
 */
import { ErrorCode, SyncError, type SyncErrorData } from '../../protocol/errors.ts';
import type { ErrorResponse } from '../../protocol/types.ts';

/**
 * The status of each code. The choices that are not obvious:
 * - `INVALID_PAYLOAD` is 400: the request itself is malformed, resending it is useless.
 * - `PROTOCOL_VERSION`, `CURSOR_AHEAD` and `CURSOR_EXPIRED` are 409: the request is well formed but does
 *   not fit the server's state (another protocol, another or a reset data set); the
 *   client must change something (update, or forget its cursor) before trying again.
 * - `RATE_LIMITED` is 429 with `Retry-After` (seconds, from `details.retryAfterMs`).
 * - `SHUTDOWN` is 503: the server is stopping; a client retries (elsewhere) later.
 * - `INSTANCE_FORBIDDEN` is 403 and `INSTANCE_CLONED` 409: resending is useless, the
 *   replica must take a fresh instance id first.
 * Anything not listed is 500.
 */
export const STATUS_OF_CODE: Readonly<Partial<Record<ErrorCode, number>>> = {
  [ErrorCode.INVALID_PAYLOAD]: 400,
  [ErrorCode.INVALID_CONFIG]: 400,
  [ErrorCode.PROTOCOL_VERSION]: 409,
  [ErrorCode.CURSOR_AHEAD]: 409,
  [ErrorCode.CURSOR_EXPIRED]: 409,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.HANDSHAKE_REJECTED]: 403,
  [ErrorCode.UNAUTHORIZED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.SHUTDOWN]: 503,
  [ErrorCode.TIMEOUT]: 504,
  [ErrorCode.INSTANCE_FORBIDDEN]: 403,
  [ErrorCode.INSTANCE_CLONED]: 409,
};

/** The HTTP status for a SyncError code. */
export function statusOf(code: ErrorCode): number {
  return STATUS_OF_CODE[code] ?? 500;
}

/** A JSON response. */
export function jsonResponse(body: unknown, status: number, headers: HeadersInit = {}): Response {
  const all = new Headers(headers);
  all.set('content-type', 'application/json; charset=utf-8');
  all.set('cache-control', 'no-store');
  return new Response(JSON.stringify(body), { status, headers: all });
}

/**
 * The response for a failure. A SyncError keeps its code, message and details; any
 * other throw is a bug on our side: it is passed to `report` and answered `INTERNAL`
 * without its message (which may hold internals).
 */
export function errorResponse(
  error: unknown,
  options: { readonly headers?: HeadersInit; readonly status?: number; readonly report?: (error: unknown) => void } = {},
): Response {
  let data: SyncErrorData;
  if (error instanceof SyncError) {
    data = error.toJSON();
    if (data.code === ErrorCode.INTERNAL) options.report?.(error);
  } else {
    options.report?.(error);
    data = { code: ErrorCode.INTERNAL, message: 'The server failed to handle this request; see its log' };
  }
  const headers = new Headers(options.headers);
  const retryAfter = data.details?.['retryAfterMs'];
  if (data.code === ErrorCode.RATE_LIMITED || data.code === ErrorCode.SHUTDOWN) {
    const ms = typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 1000;
    headers.set('retry-after', String(Math.max(1, Math.ceil(ms / 1000))));
  }
  if (data.code === ErrorCode.UNAUTHORIZED) headers.set('www-authenticate', 'Bearer');
  const body: ErrorResponse = { error: data };
  return jsonResponse(body, options.status ?? statusOf(data.code), headers);
}
