/**
 * A Node http server around a fetch handler, with the graceful stop the command needs:
 * stop accepting, end live streams, let requests in flight finish, then close.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { globalTimers, type ServerTimers } from '../timers.ts';
import { guardConnections, resolveConnectionLimits } from './connection-guard.ts';
import { toNodeHandler } from './node-handler.ts';

/** What {@link createNodeServer} serves: a fetch handler that can end its live streams. */
export interface ClosableFetchHandler {
  (request: Request): Promise<Response>;
  /** Ends open live streams and refuses new requests. */
  close?(): void;
}

/** Options of {@link createNodeServer}. */
export interface NodeServerOptions {
  /** Default `127.0.0.1`: listen on loopback unless told otherwise. */
  readonly host?: string;
  /** Default 8787; 0 picks a free port. */
  readonly port?: number;
  /** How long `close()` waits for requests in flight before cutting them. Default 10 s. */
  readonly drainTimeoutMs?: number;
  /** Where the drain timeout and the idle-connection sweep are scheduled. Default the runtime's timers. */
  readonly timers?: ServerTimers;
  /** Longest wait for a request's headers, from its first byte; then 408 `TIMEOUT`. Default 10 s. */
  readonly headersTimeoutMs?: number;
  /** Longest wait for a whole request, headers and body; then 408 `TIMEOUT`. At least `headersTimeoutMs`. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Most connections open at once; more are answered 503 `RATE_LIMITED` and closed. Default 10,000. */
  readonly maxConnections?: number;
}

/** A listening server. */
export interface NodeSyncServer {
  readonly server: Server;
  /** `http://host:port`, with the port actually bound. */
  readonly url: string;
  /** Stops accepting, ends live streams, waits for requests in flight (up to the drain timeout). */
  close(): Promise<void>;
}

/** Starts a Node http server for `handler` and resolves once it listens. */
export async function createNodeServer(handler: ClosableFetchHandler, options: NodeServerOptions = {}): Promise<NodeSyncServer> {
  const host = options.host ?? '127.0.0.1';
  const timers = options.timers ?? globalTimers;
  const limits = resolveConnectionLimits({
    ...(options.headersTimeoutMs === undefined ? {} : { headersTimeoutMs: options.headersTimeoutMs }),
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
  });
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Node looks for expired requests this often (30 s by default, which would let a
      // 10 s header timeout run to 40 s): a quarter of the shorter timeout, 1 s at most.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    toNodeHandler(handler),
  );
  guardConnections(server, limits);
  // Long enough for an idle live stream between heartbeats; requests still time out.
  server.keepAliveTimeout = 20_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    server,
    url: `http://${shownHost}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const drain = timers.setTimeout(() => server.closeAllConnections(), options.drainTimeoutMs ?? 10_000);
        // A keep-alive connection turns idle when its request (or live stream) ends:
        // close those as they appear, so the drain takes as long as the slowest request.
        const sweep = timers.setInterval(() => server.closeIdleConnections(), 50);
        server.close(() => {
          timers.clearTimeout(drain);
          timers.clearInterval(sweep);
          resolve();
        });
        handler.close?.();
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
