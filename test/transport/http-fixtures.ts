/**
 * A real sync server (memory store, token auth) behind a Node http server on
 * 127.0.0.1:0, with a hook a test can use to answer some requests itself: refuse,
 * stall, rate-limit, or hand the request on to the real handler.
 */
import { createFetchHandler, type FetchHandler } from '../../src/server/http/fetch-handler.ts';
import { tokenAuth } from '../../src/server/http/token-auth.ts';
import { createNodeServer, type NodeSyncServer } from '../../src/server/node/node-server.ts';
import { createSyncServer, type SyncServer } from '../../src/server/sync-server.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';

export const TOKEN = 'transport-test-token';

/** Answers a request itself (a Response) or lets it through (undefined). */
export type Intercept = (request: Request, route: string) => Response | undefined | Promise<Response | undefined>;

export interface ScriptedServer {
  readonly url: string;
  readonly sync: SyncServer;
  readonly handler: FetchHandler;
  readonly node: NodeSyncServer;
  /** Every request seen, by route (`handshake`, `push`, `live`…) with its Authorization header. */
  readonly seen: { route: string; authorization: string | null }[];
  intercept: Intercept | undefined;
  close(): Promise<void>;
}

/** Starts a scripted server; `close()` it in afterEach. */
export async function startScriptedServer(options: { readonly heartbeatMs?: number; readonly token?: string } = {}): Promise<ScriptedServer> {
  const sync = createSyncServer({ store: memoryServerStore(), authenticate: tokenAuth(options.token ?? TOKEN) });
  const handler = createFetchHandler(sync, options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs });
  const scripted: Partial<ScriptedServer> & { seen: ScriptedServer['seen'] } = { seen: [], intercept: undefined };
  const front = Object.assign(
    async (request: Request): Promise<Response> => {
      const route = new URL(request.url).pathname.replace(/^\/sync\//, '');
      scripted.seen.push({ route, authorization: request.headers.get('authorization') });
      const own = await scripted.intercept?.(request, route);
      return own ?? handler(request);
    },
    { close: () => handler.close() },
  );
  const node = await createNodeServer(front, { host: '127.0.0.1', port: 0, drainTimeoutMs: 1000 });
  return Object.assign(scripted, {
    url: node.url,
    sync,
    handler,
    node,
    async close() {
      node.server.closeAllConnections();
      await node.close();
      await sync.close();
    },
  }) as ScriptedServer;
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** A response that never comes: resolves only when the client gives up. */
export function never(request: Request): Promise<Response> {
  return new Promise((resolve) => request.signal.addEventListener('abort', () => resolve(new Response(null, { status: 499 }))));
}
