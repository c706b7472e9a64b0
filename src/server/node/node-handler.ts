/**
 * Runs a fetch-style handler under Node's `http` module: `IncomingMessage` →
 * `Request` (its body streamed, its `signal` aborted when the client goes away) and
 * `Response` → `ServerResponse` (streamed chunk by chunk, so live SSE pokes go out as
 * they happen). The conversion is `@hono/node-server`'s, which does exactly this and
 * is well tried.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';

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
  // overrideGlobalObjects: false — leave the process's own Request/Response alone.
  const listener = getRequestListener((request) => fetchHandler(request), { overrideGlobalObjects: false });
  return (request, response) => {
    void listener(request, response);
  };
}
