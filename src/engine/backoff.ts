/**
 * Exponential backoff after failed cycles, as PulseDB's `RetryConfig` computes it.
 */
import { ErrorCode, type SyncError } from '../protocol/errors.ts';
import type { RetryConfig } from './types.ts';

/** The retry schedule as status reports it. */
export interface RetryState {
  /** Failures in a row. */
  readonly attempt: number;
  /** How long until the next try. */
  readonly nextDelayMs: number;
  /** `attempt` reached `maxRetries`: still retrying, at the cap. */
  readonly exhausted: boolean;
}

/**
 * The delay before retry number `attempt` (1 after the first failure):
 * `min(initialDelayMs × multiplier^(attempt-1), maxDelayMs)`, and the cap itself once
 * `attempt` reaches `maxRetries` (PulseDB gives up there; we keep trying, slowly).
 */
export function retryDelay(config: RetryConfig, attempt: number): number {
  if (attempt < 1) return 0;
  if (attempt >= config.maxRetries) return config.maxDelayMs;
  return Math.min(config.initialDelayMs * config.multiplier ** (attempt - 1), config.maxDelayMs);
}

/** `details.retryAfterMs` of a `RATE_LIMITED` error (from a 429/503 Retry-After), if any. */
export function retryAfterMs(error: SyncError): number | undefined {
  if (error.code !== ErrorCode.RATE_LIMITED) return undefined;
  const value = error.details?.['retryAfterMs'];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Counts failures in a row and says how long to wait; `reset()` after a success. */
export class Backoff {
  readonly #config: RetryConfig;
  #attempt = 0;

  constructor(config: RetryConfig) {
    this.#config = config;
  }

  /** Failures in a row so far. */
  get attempt(): number {
    return this.#attempt;
  }

  /**
   * Records a failure and returns the schedule for the next try. A server's
   * Retry-After lengthens the wait to what it asked for, up to `maxDelayMs`: the server
   * does not decide how long the client stays silent (`Retry-After: 3000000` asks for
   * 35 days), and a delay past 2^31−1 ms overflows `setTimeout`, which then fires after
   * 1 ms: a hot loop (issue 11, finding 9). `maxDelayMs` is validated below that.
   */
  fail(error: SyncError): RetryState {
    this.#attempt += 1;
    const delay = retryDelay(this.#config, this.#attempt);
    const asked = retryAfterMs(error);
    return {
      attempt: this.#attempt,
      nextDelayMs: asked === undefined ? delay : Math.min(Math.max(delay, asked), this.#config.maxDelayMs),
      exhausted: this.#attempt >= this.#config.maxRetries,
    };
  }

  /** A cycle succeeded: the next failure starts again at `initialDelayMs`. */
  reset(): void {
    this.#attempt = 0;
  }
}
