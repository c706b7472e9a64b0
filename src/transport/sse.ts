/**
 * The client side of the live channel: a Server-Sent Events reader over `fetch`
 * streaming. Not `EventSource`, because EventSource cannot send an `Authorization`
 * header and is missing in Web Workers of some browsers; `fetch` has neither problem.
 */
import { globalTimers, type TransportTimers } from './timers.ts';
import type { LiveHandlers } from './types.ts';

/**
 * An incremental SSE parser (the WHATWG "event stream interpretation"): feed it text as
 * it arrives, in chunks cut anywhere; it calls `onEvent` with the type of each complete
 * event (`message` when unnamed). Comments (heartbeats) and events without data produce
 * none. The live channel only tells events apart by type (`poke`), so their data and
 * ids are not kept.
 */
export function createSseParser(onEvent: (type: string) => void): { feed(text: string): void } {
  /** The last line, not yet ended. */
  let buffer = '';
  let type = '';
  let hasData = false;
  /** The last chunk ended with `\r`: a `\n` opening the next one is the rest of that `\r\n`. */
  let pendingCR = false;

  return {
    feed(text) {
      if (text === '') return;
      const lines = (buffer + (pendingCR && text.startsWith('\n') ? text.slice(1) : text)).split(/\r\n?|\n/);
      pendingCR = text.endsWith('\r');
      buffer = lines.pop() as string;
      for (const line of lines) {
        if (line === '') {
          if (hasData) onEvent(type || 'message');
          type = '';
          hasData = false;
        } else {
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          if (field === 'data') hasData = true;
          else if (field === 'event') type = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
          // Comments, `id`, `retry` and unknown fields: our client keeps its own reconnect schedule.
        }
      }
    },
  };
}

/** Options of {@link openSseChannel}. */
export interface SseChannelOptions {
  /** The stream URL. */
  readonly url: string;
  readonly fetch: typeof fetch;
  /**
   * Headers for each connection attempt (the Authorization header, fresh each time);
   * `unauthorized`: the last attempt got a 401, so refresh the credentials.
   */
  readonly headers: (unauthorized: boolean) => Promise<Record<string, string>>;
  /** Reconnect delays: from `initialDelayMs` doubling up to `maxDelayMs`, jittered. Defaults 500 ms, 30 s. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** No byte for this long (heartbeats come every 15 s) means the connection is dead. Default 45 s. */
  readonly idleTimeoutMs?: number;
  /** Jitter source; default Math.random. */
  readonly random?: () => number;
  /** Timers of the reconnect delay and the idle timeout. Default the global ones. */
  readonly timers?: TransportTimers;
}

/**
 * Keeps an SSE connection open: calls `onPoke` on each `poke` event, `onState(true)`
 * when a stream opens and `onState(false)` when it drops, and reconnects with
 * exponential backoff (reset once a stream has opened) until the returned function is
 * called. Never throws and never rejects: failures only delay the next attempt.
 */
export function openSseChannel(options: SseChannelOptions, handlers: LiveHandlers): () => void {
  const initialDelay = options.initialDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 30_000;
  const idleTimeout = options.idleTimeoutMs ?? 45_000;
  const random = options.random ?? Math.random;
  const timers = options.timers ?? globalTimers;
  let closed = false;
  let attempt = 0;
  let unauthorized = false;
  let abort: AbortController | undefined;
  /** The pending reconnect, if any (boxed: a fake timer may return any handle, even undefined). */
  let retryTimer: { readonly handle: unknown } | undefined;

  async function connectOnce(): Promise<void> {
    const controller = new AbortController();
    abort = controller;
    let idle: { readonly handle: unknown } | undefined;
    const armIdle = (): void => {
      if (idle !== undefined) timers.clearTimeout(idle.handle);
      idle = { handle: timers.setTimeout(() => controller.abort(new Error('live channel idle')), idleTimeout) };
    };
    let connected = false;
    try {
      armIdle();
      const headers = await options.headers(unauthorized);
      unauthorized = false;
      const response = await options.fetch(options.url, {
        method: 'GET',
        headers: { accept: 'text/event-stream', ...headers },
        signal: controller.signal,
        cache: 'no-store',
      });
      unauthorized = response.status === 401;
      const type = response.headers.get('content-type') ?? '';
      if (!response.ok || response.body === null || !type.includes('text/event-stream')) {
        await response.body?.cancel().catch(() => undefined);
        return;
      }
      connected = true;
      attempt = 0;
      handlers.onState?.(true);
      const parser = createSseParser((type) => {
        if (type === 'poke' && !closed) handlers.onPoke();
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        armIdle();
        const { done, value } = await reader.read();
        if (done || closed) break;
        parser.feed(value);
      }
      await reader.cancel().catch(() => undefined);
    } catch {
      // network failure, abort, idle timeout: reconnect below
    } finally {
      if (idle !== undefined) timers.clearTimeout(idle.handle);
      if (abort === controller) abort = undefined;
      if (connected && !closed) handlers.onState?.(false);
    }
  }

  function schedule(): void {
    if (closed) return;
    attempt += 1;
    const base = Math.min(initialDelay * 2 ** (attempt - 1), maxDelay);
    const delay = base * (0.75 + random() * 0.5);
    retryTimer = { handle: timers.setTimeout(run, delay) };
  }

  function run(): void {
    retryTimer = undefined;
    if (closed) return;
    void connectOnce().then(schedule);
  }

  run();
  return () => {
    if (closed) return;
    closed = true;
    if (retryTimer !== undefined) timers.clearTimeout(retryTimer.handle);
    abort?.abort();
  };
}
