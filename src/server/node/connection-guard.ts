/**
 * What a Node http server needs against slow and numerous clients (issue 11, findings 6
 * and 7): every refusal Node makes itself answered in the documented JSON error body,
 * and a cap on open connections. 1,000 sockets trickling headers and 500 slow bodies
 * were all held past 50 s; the timeouts themselves are `createServer` options (see
 * `node-server.ts`), this adds what Node does not do.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorCode, SyncError } from '../../protocol/errors.ts';
import { clientErrorRefusal, overCapacityRefusal, refuseOnSocket } from './raw-refusal.ts';

/** The limits a guarded server enforces. */
export interface ConnectionLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxConnections: number;
}

/**
 * The defaults against slow and numerous clients: a request's headers within 10 s, the
 * whole request within 30 s (a client splits a push the server finds too large, so a
 * body rarely needs longer), and 10,000 connections (each live client holds one).
 */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxConnections: 10_000,
};

/** The connection limits of `options`, defaults filled in; throws INVALID_CONFIG naming a bad one. */
export function resolveConnectionLimits(options: Partial<ConnectionLimits>): ConnectionLimits {
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new SyncError(ErrorCode.INVALID_CONFIG, `${name} must be a positive integer, got ${String(value)}`, { details: { field: name } });
    }
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new SyncError(
      ErrorCode.INVALID_CONFIG,
      `headersTimeoutMs (${limits.headersTimeoutMs}) must not be longer than requestTimeoutMs (${limits.requestTimeoutMs}): the headers are part of the request`,
      { details: { field: 'headersTimeoutMs' } },
    );
  }
  return limits;
}

/**
 * Installs the guard on `server`: `clientError` answered in JSON (Node's default is an
 * empty body), and connections past `maxConnections` answered 503 and closed at once,
 * before they hold a file descriptor and a parser for the length of a header timeout.
 * (Node's own `server.maxConnections` drops them without a word.)
 */
export function guardConnections(server: Server, limits: ConnectionLimits): void {
  const open = new Set<Socket>();
  const responses = new WeakMap<Socket, ServerResponse>();
  server.on('connection', (socket: Socket) => {
    if (open.size >= limits.maxConnections) {
      const { status, error, headers } = overCapacityRefusal(limits.maxConnections);
      refuseOnSocket(socket, status, error, { headers });
      return;
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    responses.set(request.socket, response);
  });
  server.on('clientError', (error: Error & { code?: unknown }, socket: Socket) => {
    // The peer went away: nobody to answer.
    if (error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const { status, error: refusal } = clientErrorRefusal(error, limits);
    refuseOnSocket(socket, status, refusal, { responseStarted: responses.get(socket)?.headersSent === true });
  });
}
