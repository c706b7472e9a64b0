/**
 * Serves a built folder over HTTP on 127.0.0.1 (free port): enough for test pages —
 * GET/HEAD of files, a content type by extension, no caching, 404 for anything else.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { listenOnLoopback } from './loopback.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
};

/** A running file server. */
export interface StaticFiles {
  /** Base URL, ending in `/`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `dir` until closed. */
export async function serveStaticFiles(dir: string): Promise<StaticFiles> {
  const root = normalize(dir + sep);
  const server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://files').pathname)));
    const size = path.startsWith(root) && (req.method === 'GET' || req.method === 'HEAD') ? fileSize(path) : undefined;
    if (size === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'content-length': size, 'cache-control': 'no-store' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(path).pipe(res);
  });
  const base = await listenOnLoopback(server);
  return {
    url: `${base}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function fileSize(path: string): number | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}
