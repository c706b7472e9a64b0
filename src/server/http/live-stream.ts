/**
 * The server side of the live channel: a Server-Sent Events stream that says `poke`
 * whenever the store commits new changes, so connected clients pull at once.
 *
 * Why SSE and not WebSocket: a poke carries no data and only flows server → client,
 * which is what SSE is for. It is a plain HTTP response, so it passes proxies and load
 * balancers that speak HTTP, needs no upgrade handling in the server (a fetch handler
 * stays a fetch handler under Node, Deno, Bun or Hono), and the client reads it with
 * `fetch` streaming — which, unlike `EventSource` and the WebSocket constructor, can
 * send an `Authorization` header, and works inside a Web Worker.
 */
import { globalTimers, type ServerTimers } from '../timers.ts';

/** How often a comment line is sent on an idle stream, so proxies and the client's watchdog see it alive. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/** One open live stream. */
export interface LiveStream {
  /** The response body. */
  readonly body: ReadableStream<Uint8Array>;
  /** Ends the stream (server shutdown). Safe to call twice. */
  close(): void;
}

/** Options of {@link openLiveStream}. */
export interface LiveStreamOptions {
  /**
   * Subscribes to the commits this stream pokes for (only those its caller may read:
   * `SyncServer.onChanges` with the caller's access); returns the unsubscribe.
   */
  readonly subscribe: (listener: () => void) => () => void;
  readonly heartbeatMs?: number;
  /** Where the heartbeat interval is set. Default {@link globalTimers}. */
  readonly timers?: ServerTimers;
  /** Called once when the stream ends, however it ends. */
  readonly onClose?: () => void;
}

const encoder = new TextEncoder();
// `retry` tells a standard EventSource how long to wait before reconnecting.
const OPENING = encoder.encode('retry: 2000\n: pulsesync live\n\n');
const POKE = encoder.encode('event: poke\ndata: {}\n\n');
const HEARTBEAT = encoder.encode(': heartbeat\n\n');

/**
 * A live stream. Pokes are coalesced: while one is still queued for a slow reader
 * another is not added (one poke means "pull", however many commits it stands for).
 */
export function openLiveStream(options: LiveStreamOptions): LiveStream {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let closed = false;
  let pokeQueued = false;
  let unsubscribe: (() => void) | undefined;
  const timers = options.timers ?? globalTimers;
  let heartbeat: unknown;

  function finish(): void {
    if (closed) return;
    closed = true;
    unsubscribe?.();
    if (heartbeat !== undefined) timers.clearInterval(heartbeat);
    options.onClose?.();
  }

  function send(chunk: Uint8Array): void {
    if (closed || controller === undefined) return;
    try {
      controller.enqueue(chunk);
    } catch {
      finish(); // the stream errored underneath us
    }
  }

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        c.enqueue(OPENING);
        unsubscribe = options.subscribe(() => {
          if (pokeQueued) return;
          pokeQueued = true;
          send(POKE);
        });
        heartbeat = timers.setInterval(() => {
          // A reader that has not taken the last chunk needs no other: a stalled
          // connection must not grow a queue of heartbeats.
          if ((controller?.desiredSize ?? 0) > 0) send(HEARTBEAT);
        }, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
      },
      pull() {
        // The reader took what was queued: the next commit deserves a poke of its own.
        pokeQueued = false;
      },
      cancel() {
        finish(); // the client went away
      },
    },
    { highWaterMark: 1 },
  );

  return {
    body,
    close() {
      if (closed) return;
      const c = controller;
      finish();
      try {
        c?.close();
      } catch {
        // already closed or errored
      }
    },
  };
}
