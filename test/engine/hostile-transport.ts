/**
 * A transport in front of a real in-memory server whose answers a test rewrites, the
 * way a broken or hostile server (or a proxy in between) would send them. Each
 * rewritten answer is validated again as the HTTP transport validates what arrives, so
 * an answer that breaks the wire schema fails `INVALID_PAYLOAD` there, and only answers
 * that pass it reach the engine: the engine's own checks are what is under test.
 */
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import type {
  HandshakeRequest,
  HandshakeResponse,
  PullRequest,
  PullResponse,
  PushRequest,
  PushResponse,
} from '../../src/protocol/types.ts';
import { parseHandshakeResponse, parsePullResponse, parsePushResponse } from '../../src/protocol/validate.ts';
import type { SyncTransport } from '../../src/transport/types.ts';

/** How a test rewrites answers; each returns (or resolves to) what the client receives, unchecked. */
export interface AnswerRewrites {
  /** Sees each request before the server does; may throw (a request lost on its way). */
  before?(op: SeenRequest['op'], request: object): void;
  handshake?(request: HandshakeRequest, answer: HandshakeResponse): unknown;
  push?(request: PushRequest, answer: PushResponse): unknown;
  pull?(request: PullRequest, answer: PullResponse): unknown;
}

/** One request as the hostile transport saw it, at the (possibly faked) time it was sent. */
export interface SeenRequest {
  readonly op: 'handshake' | 'push' | 'pull' | 'health';
  readonly request: unknown;
  readonly at: number;
}

/** Options of {@link hostileTransport}. */
export interface HostileTransportOptions {
  /**
   * After this many requests every further one fails `TRANSPORT` and `overflowed` is set:
   * a client in a hot loop fails its test instead of spinning it forever.
   */
  readonly maxRequests?: number;
}

/** Wraps `inner` (a memory transport to a real server) with `rewrites`. */
export function hostileTransport(inner: SyncTransport, rewrites: AnswerRewrites, options: HostileTransportOptions = {}) {
  const requests: SeenRequest[] = [];
  const maxRequests = options.maxRequests ?? Number.POSITIVE_INFINITY;
  const state = { overflowed: false };
  function see(op: SeenRequest['op'], request: object): void {
    requests.push({ op, request, at: Date.now() });
    if (requests.length > maxRequests) {
      state.overflowed = true;
      throw new SyncError(ErrorCode.TRANSPORT, `hostile transport: more than ${maxRequests} requests, a hot loop`);
    }
    rewrites.before?.(op, request);
  }
  const transport: SyncTransport = {
    async handshake(request) {
      see('handshake', request);
      const answer = await inner.handshake(request);
      return rewrites.handshake === undefined ? answer : parseHandshakeResponse(structuredClone(await rewrites.handshake(request, answer)));
    },
    async push(request) {
      see('push', request);
      const answer = await inner.push(request);
      return rewrites.push === undefined ? answer : parsePushResponse(structuredClone(await rewrites.push(request, answer)));
    },
    async pull(request) {
      see('pull', request);
      const answer = await inner.pull(request);
      return rewrites.pull === undefined ? answer : parsePullResponse(structuredClone(await rewrites.pull(request, answer)));
    },
    async health() {
      see('health', {});
      return inner.health();
    },
  };
  return {
    transport,
    requests,
    /** Requests of one kind. */
    of: (op: SeenRequest['op']) => requests.filter((r) => r.op === op),
    /** Did the client pass `maxRequests`? */
    get overflowed() {
      return state.overflowed;
    },
  };
}
