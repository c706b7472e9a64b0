/**
 * The one way to put something between a SyncManager and its transport: fault
 * injection, scripted failures, counting, an offline switch. A wrapper sees each call
 * as data (which operation, which request) with a `send()` that hands it on, so it can
 * fail it, hold it, send it twice, or watch it — without re-listing the four methods
 * and the live channel each time (and forgetting one).
 */
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

/** What each request/response operation of a {@link SyncTransport} sends and gets back. */
export interface TransportMessages {
  readonly handshake: { readonly request: HandshakeRequest; readonly response: HandshakeResponse };
  readonly push: { readonly request: PushRequest; readonly response: PushResponse };
  readonly pull: { readonly request: PullRequest; readonly response: PullResponse };
  readonly health: { readonly request: undefined; readonly response: HealthResponse };
}

/** A request/response operation of a {@link SyncTransport} (the live channel is not one). */
export type TransportOperation = keyof TransportMessages;

/** Every {@link TransportOperation}, in protocol order. */
export const TRANSPORT_OPERATIONS: readonly TransportOperation[] = ['handshake', 'push', 'pull', 'health'];

/** The request of `Op` (`undefined` for health). */
export type TransportRequest<Op extends TransportOperation> = TransportMessages[Op]['request'];

/** The response of `Op`. */
export type TransportResponse<Op extends TransportOperation> = TransportMessages[Op]['response'];

/** One call on its way through a wrapper. */
export interface TransportCall<Op extends TransportOperation = TransportOperation> {
  readonly operation: Op;
  readonly request: TransportRequest<Op>;
  /**
   * Hands the call on to the inner transport. A wrapper may call it once (pass through),
   * never (a lost request), or again (a duplicate); each call is a new request.
   */
  send(): Promise<TransportResponse<Op>>;
}

/** What a wrapper does around the calls of the transport it wraps. Both parts are optional. */
export interface TransportWrapper {
  /** Runs around every request/response call; the default is `call.send()`. */
  call?<Op extends TransportOperation>(call: TransportCall<Op>): Promise<TransportResponse<Op>>;
  /**
   * Runs around opening the live channel; `open` opens the inner one. Called only when
   * the inner transport has a live channel. The default opens it as is.
   */
  live?(handlers: LiveHandlers, open: (handlers: LiveHandlers) => () => void): () => void;
}

/** Is `call` a call of `operation`? Narrows its request and response types. */
export function isCallOf<Op extends TransportOperation>(call: TransportCall, operation: Op): call is TransportCall<Op> {
  return call.operation === operation;
}

/**
 * `inner`, with `around` run around each call. The result has a live channel exactly
 * when `inner` has one.
 *
 * @example
 * // Fail every handshake while `down` is true; everything else passes through.
 * const transport = wrapTransport(inner, {
 *   call: (call) =>
 *     call.operation === 'handshake' && down ? Promise.reject(new SyncError('TRANSPORT', 'connection refused')) : call.send(),
 * });
 */
export function wrapTransport(inner: SyncTransport, around: TransportWrapper): SyncTransport {
  function run<Op extends TransportOperation>(operation: Op, request: TransportRequest<Op>, send: () => Promise<TransportResponse<Op>>) {
    const call: TransportCall<Op> = { operation, request, send };
    return around.call === undefined ? send() : around.call(call);
  }
  const transport: SyncTransport = {
    handshake: (request) => run('handshake', request, () => inner.handshake(request)),
    push: (request) => run('push', request, () => inner.push(request)),
    pull: (request) => run('pull', request, () => inner.pull(request)),
    health: () => run('health', undefined, () => inner.health()),
  };
  if (inner.live !== undefined) {
    const open = inner.live.bind(inner);
    const live = around.live;
    transport.live = live === undefined ? open : (handlers) => live.call(around, handlers, open);
  }
  return transport;
}
