/**
 * A fault-injecting wrapper around any transport, for tests: the network of a bad day,
 * replayable from a seed.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { SyncTransport } from '../transport/types.ts';
import {
  TRANSPORT_OPERATIONS,
  wrapTransport,
  type TransportCall,
  type TransportOperation,
  type TransportResponse,
} from '../transport/wrap-transport.ts';
import { seededRandom } from './seeded-random.ts';

/** Options of {@link chaosTransport}. Rates are probabilities in [0, 1], default 0. */
export interface ChaosTransportOptions {
  /** Seeds every decision: the same seed and the same calls give the same faults. */
  readonly seed: number;
  /** A request is lost before it reaches the server (it changes nothing there). */
  readonly dropRequestRate?: number;
  /**
   * The server handles the request, then its response is lost: the caller sees a
   * failure although the server applied the push. The case idempotency exists for.
   */
  readonly dropResponseRate?: number;
  /** The request reaches the server twice (the second copy right after the first). */
  readonly duplicateRate?: number;
  /**
   * A copy of the request reaches the server later, after a seeded wait in
   * [0, lateDuplicateDelayMs], when newer requests may have been handled (a retry that
   * crossed them on the network). Its response goes nowhere. See `drain()`.
   */
  readonly lateDuplicateRate?: number;
  /** Longest wait of a late copy. Default 50. */
  readonly lateDuplicateDelayMs?: number;
  /** Each request waits a seeded time in [0, delayMs] before it is sent. Default 0. */
  readonly delayMs?: number;
  /** Code of the errors thrown for lost requests and responses. Default `TRANSPORT`. */
  readonly failureCode?: typeof ErrorCode.TRANSPORT | typeof ErrorCode.TIMEOUT;
  /** Which operations may be hit. Default all four. */
  readonly operations?: readonly TransportOperation[];
  /** Timer used for delays; inject fake timers here. Default `globalThis.setTimeout`. */
  readonly setTimeout?: (callback: () => void, ms: number) => unknown;
}

/** What chaos did so far. */
export interface ChaosStats {
  calls: number;
  droppedRequests: number;
  droppedResponses: number;
  duplicated: number;
  lateDuplicated: number;
  delayed: number;
}

/** A {@link SyncTransport} with faults, which a test can switch off for a calm ending. */
export interface ChaosTransport extends SyncTransport {
  /** Counters of the faults injected so far. */
  readonly stats: Readonly<ChaosStats>;
  /** Turns faults on or off (on at first). Off, calls pass straight through. */
  setFaults(enabled: boolean): void;
  /** Resolves once every late copy sent so far has reached the server. */
  drain(): Promise<void>;
}

/**
 * Wraps `inner` so that requests are lost, responses are lost after the server acted,
 * requests arrive twice (at once, or late, after newer ones) and calls are delayed,
 * all decided by a seeded generator:
 * a failing test replays exactly from its seed (as long as the calls come in the same
 * order). Lost requests and responses throw a SyncError `TRANSPORT` (or
 * `failureCode`), as a dropped connection would. The live channel passes through.
 *
 * @example
 * const transport = chaosTransport(memoryTransport(server), {
 *   seed: 42, dropRequestRate: 0.1, dropResponseRate: 0.1, duplicateRate: 0.1,
 * });
 * // ... run sync through it, then:
 * transport.setFaults(false); // converge without faults and check the result
 */
export function chaosTransport(inner: SyncTransport, options: ChaosTransportOptions): ChaosTransport {
  const random = seededRandom(options.seed);
  const code = options.failureCode ?? ErrorCode.TRANSPORT;
  const hit = new Set<TransportOperation>(options.operations ?? TRANSPORT_OPERATIONS);
  const maxDelay = options.delayMs ?? 0;
  const wait = options.setTimeout ?? ((callback: () => void, ms: number) => globalThis.setTimeout(callback, ms));
  for (const [name, rate] of [
    ['dropRequestRate', options.dropRequestRate],
    ['dropResponseRate', options.dropResponseRate],
    ['duplicateRate', options.duplicateRate],
    ['lateDuplicateRate', options.lateDuplicateRate],
  ] as const) {
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) {
      throw new RangeError(`chaosTransport: ${name} must be between 0 and 1, got ${rate}`);
    }
  }
  const stats: ChaosStats = { calls: 0, droppedRequests: 0, droppedResponses: 0, duplicated: 0, lateDuplicated: 0, delayed: 0 };
  const lateDelay = options.lateDuplicateDelayMs ?? 50;
  const lateCopies = new Set<Promise<void>>();
  let enabled = true;

  async function run<Op extends TransportOperation>({ operation, send }: TransportCall<Op>): Promise<TransportResponse<Op>> {
    stats.calls += 1;
    if (!enabled || !hit.has(operation)) return send();
    // Draw every decision up front, in a fixed order, so one fault does not shift the
    // sequence of the next call's decisions.
    const delay = maxDelay > 0 ? Math.floor(random.next() * (maxDelay + 1)) : 0;
    const dropRequest = random.chance(options.dropRequestRate ?? 0);
    const dropResponse = random.chance(options.dropResponseRate ?? 0);
    const duplicate = random.chance(options.duplicateRate ?? 0);
    const lateAfter = random.chance(options.lateDuplicateRate ?? 0) ? Math.floor(random.next() * (lateDelay + 1)) : undefined;
    if (delay > 0) {
      stats.delayed += 1;
      await new Promise<void>((resolve) => void wait(resolve, delay));
    }
    if (dropRequest) {
      stats.droppedRequests += 1;
      throw new SyncError(code, `chaos: ${operation} request lost before reaching the server`, { details: { chaos: 'request' } });
    }
    if (lateAfter !== undefined) {
      stats.lateDuplicated += 1;
      const copy = new Promise<void>((resolve) => void wait(resolve, lateAfter))
        .then(send)
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => lateCopies.delete(copy));
      lateCopies.add(copy);
    }
    const response = await send();
    if (duplicate) {
      stats.duplicated += 1;
      // The copy's own response is lost: only the server sees it.
      await send().catch(() => undefined);
    }
    if (dropResponse) {
      stats.droppedResponses += 1;
      throw new SyncError(code, `chaos: ${operation} response lost after the server handled it`, { details: { chaos: 'response' } });
    }
    return response;
  }

  // The live channel passes through untouched.
  return Object.assign(wrapTransport(inner, { call: run }), {
    stats,
    setFaults(value: boolean) {
      enabled = value;
    },
    async drain() {
      while (lateCopies.size > 0) await Promise.all(lateCopies);
    },
  });
}
