/**
 * The in-process transport: a SyncManager talking to a sync server in the same JS
 * realm, with no network in between. PulseDB's in-memory transport pair, made safe:
 * every request and response is copied (`structuredClone`), so client and server
 * never share an object, just as if the bytes had crossed a wire.
 */
import { SyncError } from '../protocol/errors.ts';
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
import type { LiveHandlers, SyncTransport } from './types.ts';

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
  /** Calls `listener` after new changes commit; returns an unsubscribe. */
  onChanges?(listener: () => void): () => void;
}

/** Options of {@link memoryTransport}. */
export interface MemoryTransportOptions<Access = unknown> {
  /** Who the caller is, passed to every handler (what `authenticate` returns over HTTP). */
  readonly access?: Access;
  /** Offer the live (poke) channel when the server has `onChanges`. Default true. */
  readonly live?: boolean;
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
  const { access } = options;

  async function call<T>(handler: (body: unknown, access?: Access) => unknown, request: unknown, parse: (input: unknown) => T): Promise<T> {
    let response: unknown;
    try {
      response = await handler.call(server, structuredClone(request), access);
    } catch (error) {
      throw reissue(error);
    }
    return parse(structuredClone(response));
  }

  const transport: SyncTransport = {
    handshake: (request: HandshakeRequest): Promise<HandshakeResponse> =>
      call(server.handleHandshake, request, parseHandshakeResponse),
    push: (request: PushRequest): Promise<PushResponse> => call(server.handlePush, request, parsePushResponse),
    pull: (request: PullRequest): Promise<PullResponse> => call(server.handlePull, request, parsePullResponse),
    health: (): Promise<HealthResponse> => call(server.handleHealth, {}, parseHealthResponse),
  };
  const onChanges = server.onChanges;
  if (options.live !== false && onChanges !== undefined) {
    transport.live = (handlers: LiveHandlers) => {
      let open = true;
      // Pokes arrive on a later task, as from a socket: never inside the server's commit.
      const unsubscribe = onChanges.call(server, () => {
        queueMicrotask(() => {
          if (open) handlers.onPoke();
        });
      });
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

/** A fresh SyncError carrying only the data that would cross a wire. */
function reissue(error: unknown): SyncError {
  const data = SyncError.from(error).toJSON();
  return new SyncError(
    data.code,
    data.message,
    data.details === undefined ? {} : { details: structuredClone(data.details) },
  );
}
