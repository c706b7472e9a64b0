/**
 * A tiny HTTP proxy on 127.0.0.1 in front of the pulsesync server: it counts the
 * requests per route (so a test can prove that exactly one tab syncs) and can cut the
 * network (every open and new connection is dropped) without touching the browser.
 * Responses are streamed through, so the live channel (SSE over fetch) works.
 */
import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listenOnLoopback } from './loopback.ts';

/** A sync route as counted: `handshake`, `push`, `pull`, `health`, `live`, or the raw path. */
export type Route = 'handshake' | 'push' | 'pull' | 'health' | 'live' | (string & {});

/** One request that went through the proxy. */
export interface SeenRequest {
  readonly method: string;
  readonly route: Route;
  /** Epoch ms when it arrived. */
  readonly at: number;
}

/** A running proxy. */
export interface CountingProxy {
  /** Base URL clients use instead of the server's. */
  readonly url: string;
  /** How many requests of `route` arrived (CORS preflights not counted). */
  count(route: Route): number;
  /** Every request seen, preflights included, oldest first. */
  requests(): readonly SeenRequest[];
  /** Forgets what was counted so far. */
  reset(): void;
  /** Drops every open connection and refuses new ones (not counted) until {@link restore}. */
  cut(): void;
  restore(): void;
  readonly isCut: boolean;
  /**
   * Holds a coming request of `route` (the next after `skip` more) before it reaches
   * the server, until `release`: its client waits on that fetch meanwhile.
   */
  holdNext(route: Route, skip?: number): HeldRequest;
  close(): Promise<void>;
}

/** A request the proxy keeps back (see {@link CountingProxy.holdNext}). */
export interface HeldRequest {
  /** Resolves once the request has arrived (and is held). */
  readonly arrived: Promise<void>;
  /** Forwards it to the server, as if it had just arrived. */
  release(): void;
}

/** `/sync/push` → `push`; anything else is kept as its path. */
function routeOf(path: string): Route {
  const match = /\/sync\/([a-z]+)$/.exec(path);
  return match?.[1] ?? path;
}

/** Starts a proxy on 127.0.0.1 (free port) forwarding to `target` (e.g. `http://127.0.0.1:4123`). */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let isCut = false;
  let hold: { route: Route; skip: number; arrived: () => void; released: Promise<void> } | undefined;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const route = routeOf(new URL(req.url ?? '/', 'http://proxy').pathname);
    seen.push({ method: req.method ?? 'GET', route, at: Date.now() });
    if (isCut) {
      req.socket.destroy();
      return;
    }
    if (hold?.route === route && req.method !== 'OPTIONS' && hold.skip-- === 0) {
      const { arrived, released } = hold;
      hold = undefined;
      req.pause(); // its body waits too; the pipe resumes it
      arrived();
      void released.then(() => send(req, res));
      return;
    }
    send(req, res);
  };

  const send = (req: IncomingMessage, res: ServerResponse): void => {
    const outgoing = forward(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (incoming) => {
        res.writeHead(incoming.statusCode ?? 502, incoming.headers);
        incoming.pipe(res);
        // The client went away (or was cut) mid-stream: stop reading upstream too.
        res.once('close', () => incoming.destroy());
      },
    );
    outgoing.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end();
    });
    req.pipe(outgoing);
  };

  const server = createServer(handle);
  server.on('connection', (socket) => {
    if (isCut) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const url = await listenOnLoopback(server);

  return {
    url,
    count: (route) => seen.filter((r) => r.route === route && r.method !== 'OPTIONS').length,
    requests: () => [...seen],
    reset: () => {
      seen.length = 0;
    },
    cut() {
      isCut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      isCut = false;
    },
    get isCut() {
      return isCut;
    },
    holdNext(route, skip = 0) {
      let arrived = (): void => undefined;
      let release = (): void => undefined;
      const arrival = new Promise<void>((resolve) => (arrived = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      hold = { route, skip, arrived, released };
      return { arrived: arrival, release };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
