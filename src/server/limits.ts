/**
 * Size limits of the sync server: what it accepts before it reads or writes anything.
 * Every limit has a default; `createSyncServer({ limits })` overrides any of them.
 */
import { MAX_BATCH_SIZE } from '../protocol/validate.ts';
import { ErrorCode, SyncError } from '../protocol/errors.ts';

/** What the server accepts. */
export interface ServerLimits {
  /** Largest request body in bytes (checked by the HTTP handler before parsing). */
  readonly maxBodyBytes: number;
  /** Most changes in one push. */
  readonly maxPushChanges: number;
  /** Largest value of one change, in bytes of its JSON. */
  readonly maxValueBytes: number;
  /** Most changes served by one pull; a larger `batchSize` is served this many. */
  readonly maxPullBatchSize: number;
  /**
   * Most bytes of JSON one answer carries: a pull page stops before its changes pass it
   * (and always carries at least one), and a push answer stops dealing with changes
   * before the server records in its conflicts pass it (the rest is acknowledged on the
   * next push). Without it, 600 values of 1 MiB made one pull build 524 MB of JSON.
   */
  readonly maxPullBytes: number;
  /**
   * Most JSON nodes in one request body, weighted by their cost to parse (a list element
   * 1, an object 2, an object key 16; see `http/json-node-count.ts`), counted while the
   * body streams in, before it is parsed. Parsing time grows with nodes, not bytes: 14 MB
   * of `[0,0,…]` or `[{},{},…]` blocks the event loop for seconds, the same bytes in one
   * string for milliseconds. A push over it is refused `PAYLOAD_TOO_LARGE`, which a
   * client answers by sending smaller batches.
   */
  readonly maxJsonNodes: number;
}

/** The defaults: generous for real apps, small enough that one request cannot starve the server. */
export const DEFAULT_LIMITS: ServerLimits = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxPushChanges: MAX_BATCH_SIZE,
  maxValueBytes: 1024 * 1024,
  maxPullBatchSize: 5_000,
  maxPullBytes: 4 * 1024 * 1024,
  // Parses in about 100 ms at most in the costliest shapes measured (`[{},{},…]`, objects
  // with distinct keys); a push of 500 changes (the client's default batch) weighs some
  // 70,000 besides its values, one of 10,000 changes too much (it is split).
  maxJsonNodes: 1_000_000,
};

/** Fills in defaults; throws INVALID_CONFIG naming a limit that is not a positive integer. */
export function resolveLimits(input: Partial<ServerLimits> = {}): ServerLimits {
  const limits = { ...DEFAULT_LIMITS, ...input };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new SyncError(ErrorCode.INVALID_CONFIG, `limits.${name} must be a positive integer, got ${String(value)}`, {
        details: { field: `limits.${name}` },
      });
    }
  }
  return limits;
}
