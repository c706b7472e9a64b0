/**
 * What the demo page needs from Node, as a Vite plugin on the dev server:
 * - `GET /demo-config.json`: where the sync server is and this run's dev token;
 * - `POST /demo/seed`: write archived notes to the sync server over the wire;
 * - `POST /demo/replace-server`: put back the server's data as it was when the demo
 *   started (see `RunningDemo.replaceServerData`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'vite';
import { SyncError } from '../src/protocol/errors.ts';
import type { DemoConfig } from './app/demo-api.ts';
import { SEED_COLLECTIVE, seedServer } from './seed.ts';

/** How many records the seed button writes. */
export const SEED_COUNT = 20_000;

/** The demo routes for a sync server at `serverUrl`, whose data `replaceServerData` replaces. */
export function demoRoutes(serverUrl: string, token: string, replaceServerData: () => Promise<void>): Plugin {
  const config: DemoConfig = { serverUrl, token, seedCount: SEED_COUNT, seedCollective: SEED_COLLECTIVE };
  let seeding = false;
  return {
    name: 'pulsesync-demo-routes',
    configureServer(server) {
      server.middlewares.use('/demo-config.json', (_req: IncomingMessage, res: ServerResponse) => {
        sendJson(res, 200, config);
      });
      server.middlewares.use('/demo/seed', (req: IncomingMessage, res: ServerResponse) => {
        if (req.method !== 'POST') return sendError(res, 405, 'NOT_FOUND', 'seed with POST /demo/seed');
        if (seeding) return sendError(res, 409, 'CONFLICT', 'a seeding run is already going on');
        seeding = true;
        seedServer({ url: serverUrl, token, count: SEED_COUNT })
          .then((result) => sendJson(res, 200, result))
          .catch((error: unknown) => sendJson(res, 502, { error: SyncError.from(error).toJSON() }))
          .finally(() => {
            seeding = false;
          });
      });
      server.middlewares.use('/demo/replace-server', (req: IncomingMessage, res: ServerResponse) => {
        if (req.method !== 'POST') return sendError(res, 405, 'NOT_FOUND', 'replace with POST /demo/replace-server');
        const started = performance.now();
        replaceServerData()
          .then(() => sendJson(res, 200, { ms: Math.round(performance.now() - started) }))
          .catch((error: unknown) => sendJson(res, 502, { error: SyncError.from(error).toJSON() }));
      });
    },
  };
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(body));
}
