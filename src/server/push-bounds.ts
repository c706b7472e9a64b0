/**
 * What bounds one push besides its request (answer bytes, record size, how far ahead of
 * the server's clock a pushed clock may run), made once from the server's limits and
 * options and read by `apply-push.ts` for every push.
 */
import { DEFAULT_MAX_CLOCK_DRIFT_MS } from '../clock/hlc.ts';
import { ErrorCode, isSyncError, SyncError } from '../protocol/errors.ts';
import type { PushedChange } from '../protocol/types.ts';
import { assertHlcWithinDrift } from '../protocol/validate.ts';
import type { ServerLimits } from './limits.ts';

/** What bounds one push besides its request. */
export interface PushBounds {
  /**
   * Most bytes of server records the answer's conflicts carry (as `feedRowBytes`
   * measures them), the first conflict excepted. At the change whose conflict would
   * pass it, the server stops: that change and those after it are not dealt with, and
   * `ackedSeq` says so, so the client sends them again (the engine's push already
   * does, for any partial acknowledgement).
   */
  readonly maxAnswerBytes: number;
  /** The server's wall clock, in epoch milliseconds. */
  readonly now: () => number;
  /** Largest value a record may hold, in bytes of its JSON (a patched record may grow to it, not past). */
  readonly maxValueBytes: number;
  /**
   * How far ahead of {@link now} a pushed clock may run. A change stamped further ahead
   * is refused `INVALID`, so that no writer can plant a clock that the replicas pulling
   * it would adopt (issue 11, finding 1). Refused per change rather than the whole push:
   * a replica holding writes stamped by a clock it adopted before the bound existed
   * would otherwise be refused, and blocked, for good.
   */
  readonly maxClockDriftMs: number;
}

/**
 * The bounds of a push from the server's limits and options: answers up to
 * `maxPullBytes`, clocks up to `maxClockDriftMs` (default 5 minutes) ahead of `now`
 * (default `Date.now`). Throws INVALID_CONFIG for a bound that is not a whole number of
 * milliseconds, 0 or more.
 */
export function pushBounds(
  limits: Pick<ServerLimits, 'maxPullBytes' | 'maxValueBytes'>,
  options: { readonly maxClockDriftMs?: number; readonly now?: () => number },
): PushBounds {
  const maxClockDriftMs = options.maxClockDriftMs ?? DEFAULT_MAX_CLOCK_DRIFT_MS;
  if (!Number.isSafeInteger(maxClockDriftMs) || maxClockDriftMs < 0) {
    throw new SyncError(ErrorCode.INVALID_CONFIG, `maxClockDriftMs must be a whole number of milliseconds, 0 or more, got ${String(maxClockDriftMs)}`, {
      details: { field: 'maxClockDriftMs' },
    });
  }
  return { maxAnswerBytes: limits.maxPullBytes, now: options.now ?? (() => Date.now()), maxClockDriftMs, maxValueBytes: limits.maxValueBytes };
}

/** Why a change's clock runs too far ahead of the server's, or undefined. */
export function clockTooFarAhead(change: PushedChange, index: number, nowMs: number, bounds: PushBounds): string | undefined {
  try {
    assertHlcWithinDrift(change.hlc, nowMs, bounds.maxClockDriftMs, `changes[${index}].hlc`);
    return undefined;
  } catch (error) {
    if (!isSyncError(error)) throw error;
    return error.message;
  }
}
