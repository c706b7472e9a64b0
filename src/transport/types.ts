/**
 * The transport seam between a SyncManager and a server: memory (in-process), HTTP,
 * and the chaos wrapper all implement it. Failures are thrown as SyncError with
 * `TRANSPORT`, `TIMEOUT`, `RATE_LIMITED` (with `details.retryAfterMs`), `UNAUTHORIZED`,
 * `INVALID_PAYLOAD`, … and every response is validated before it is returned.
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

/** Callbacks of a live (poke) subscription. */
export interface LiveHandlers {
  /** The server committed new changes: pull now. */
  readonly onPoke: () => void;
  /** The live channel opened (`true`) or dropped (`false`). */
  readonly onState?: (connected: boolean) => void;
}

/** How a SyncManager talks to a server. */
export interface SyncTransport {
  handshake(request: HandshakeRequest): Promise<HandshakeResponse>;
  push(request: PushRequest): Promise<PushResponse>;
  pull(request: PullRequest): Promise<PullResponse>;
  health(): Promise<HealthResponse>;
  /**
   * Optional live channel: calls `onPoke` when the server has new changes. Reconnects
   * by itself; returns a function that closes it.
   */
  live?(handlers: LiveHandlers): () => void;
}
