/**
 * The in-process transport: a SyncManager talking to a sync server in the same JS
 * realm, with no network in between. PulseDB's in-memory transport pair, made safe:
 * every request and response is copied (`structuredClone`), so client and server
 * never share an object, just as if the bytes had crossed a wire.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import {
  parseHandshakeResponse,
  parseHealthResponse,
  parsePullResponse,
  parsePushResponse,
} from '../protocol/validate.ts';
import type {
  HandshakeRequest,
  HandshakeResponse,
  HealthResponse,
  PullRequest,
  PullResponse,
  PushRequest,
  PushResponse,
} from '../protocol/types.ts';
import { globalTimers, type TransportTimers } from './timers.ts';
import type { LiveHandlers, SyncTransport } from './types.ts';
import type { TransportOperation } from './wrap-transport.ts';

/**
 * What the memory transport needs of a server: the message handlers of
 * `createSyncServer()` (body in, response out; a SyncError thrown on failure) and,
 * for the live channel, its `onChanges`.
 */
export interface SyncServerHandlers<Access = unknown> {
  handleHandshake(body: unknown, access?: Access): unknown;
  handlePush(body: unknown, access?: Access): unknown;
  handlePull(body: unknown, access?: Access): unknown;
  handleHealth(body: unknown, access?: Access): unknown;
  /** Calls `listener` after new changes commit (with `access`, only those it may read); returns an unsubscribe. */
  onChanges?(listener: () => void, access?: Access): () => void;
}

/** Options of {@link memoryTransport}. */
export interface MemoryTransportOptions<Access = unknown> {
  /** Who the caller is, passed to every handler (what `authenticate` returns over HTTP). */
  readonly access?: Access;
  /** Offer the live (poke) channel when the server has `onChanges`. Default true. */
  readonly live?: boolean;
  /**
   * Time limit of each call; then `TIMEOUT`, and a late answer is dropped. Default none:
   * nothing is lost between two objects of one realm, but a server whose store hangs
   * would hold the caller forever, so set one where that matters (as over HTTP).
   */
  readonly timeoutMs?: number;
  /** Timers of `timeoutMs`. Default the global ones. */
  readonly timers?: TransportTimers;
}

/**
 * A {@link SyncTransport} that calls `server.handleX(structuredClone(request), access)`
 * and returns a validated `structuredClone` of the response. A SyncError the server
 * throws is rethrown as a fresh SyncError with the same code, message and details
 * (any other throw becomes `INTERNAL`), as it would arrive over HTTP.
 *
 * @example
 * const server = createSyncServer({ store: memoryServerStore() });
 * const manager = new SyncManager(replica, memoryTransport(server));
 */
export function memoryTransport<Access = unknown>(
  server: SyncServerHandlers<Access>,
  options: MemoryTransportOptions<Access> = {},
): SyncTransport {
  const { access, timeoutMs } = options;
  const timers = options.timers ?? globalTimers;

  async function call<T>(
    operation: TransportOperation,
    handler: (body: unknown, access?: Access) => unknown,
    request: unknown,
    parse: (input: unknown) => T,
  ): Promise<T> {
    // Copied now: the caller may change its object as soon as the call returns.
    const body = structuredClone(request);
    let response: unknown;
    try {
      response =
        timeoutMs === undefined
          ? await handler.call(server, body, access)
          : await withTimeout((async () => handler.call(server, body, access))(), operation, timeoutMs, timers);
    } catch (error) {
      throw reissue(error);
    }
    return parse(structuredClone(response));
  }

  const transport: SyncTransport = {
    handshake: (request: HandshakeRequest): Promise<HandshakeResponse> =>
      call('handshake', server.handleHandshake, request, parseHandshakeResponse),
    push: (request: PushRequest): Promise<PushResponse> => call('push', server.handlePush, request, parsePushResponse),
    pull: (request: PullRequest): Promise<PullResponse> => call('pull', server.handlePull, request, parsePullResponse),
    health: (): Promise<HealthResponse> => call('health', server.handleHealth, {}, parseHealthResponse),
  };
  const onChanges = server.onChanges;
  if (options.live !== false && onChanges !== undefined) {
    transport.live = (handlers: LiveHandlers) => {
      let open = true;
      // Pokes arrive on a later task, as from a socket: never inside the server's commit.
      // The caller's access goes along, as over HTTP: no poke for writes it may not read.
      const unsubscribe = onChanges.call(
        server,
        () => {
          queueMicrotask(() => {
            if (open) handlers.onPoke();
          });
        },
        access,
      );
      handlers.onState?.(true);
      return () => {
        if (!open) return;
        open = false;
        unsubscribe();
      };
    };
  }
  return transport;
}

/** `answer`, or a `TIMEOUT` once `timeoutMs` pass first (the late answer is then dropped). */
function withTimeout<T>(answer: Promise<T>, operation: TransportOperation, timeoutMs: number, timers: TransportTimers): Promise<T> {
  let handle: unknown;
  const expired = new Promise<never>((_, reject) => {
    handle = timers.setTimeout(
      () =>
        reject(
          new SyncError(ErrorCode.TIMEOUT, `${operation} got no answer from the in-process server within ${timeoutMs} ms`, {
            details: { timeoutMs },
          }),
        ),
      timeoutMs,
    );
  });
  answer.catch(() => undefined); // a failure after the timeout has no one to tell
  return Promise.race([answer, expired]).finally(() => timers.clearTimeout(handle));
}

/** A fresh SyncError carrying only the data that would cross a wire. */
function reissue(error: unknown): SyncError {
  const data = SyncError.from(error).toJSON();
  return new SyncError(
    data.code,
    data.message,
    data.details === undefined ? {} : { details: structuredClone(data.details) },
  );
}
