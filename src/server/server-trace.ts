/**
 * Timings of the server's inner steps for whoever listens, through Node's
 * `diagnostics_channel` (`pulsesync:push-group`, `pulsesync:wal-flush`): what a load
 * probe reads to say where a push's time goes (waiting for its group, applying, the
 * commit and its flush). Nothing is measured or published while nobody subscribes, and
 * hosts without the module publish nothing.
 */

/** A published channel, or undefined where the host has none. */
export interface TraceChannel<T> {
  /** Whether anybody listens: the caller skips taking the timings when not. */
  readonly active: boolean;
  publish(message: T): void;
}

/** One group's timings (see `push-groups.ts`), milliseconds. */
export interface PushGroupTrace {
  readonly pushes: number;
  readonly changes: number;
  /** Per push: from its arrival to the start of its group. */
  readonly waitMs: readonly number[];
  /** From the group's start to its transaction's first step (the store's queue, BEGIN). */
  readonly beginMs: number;
  /** Reads ahead and the pushes' own reads and writes. */
  readonly applyMs: number;
  /** COMMIT and its flush to disk. */
  readonly commitMs: number;
}

/** One flush of SQLite's write-ahead log (see `stores/sqlite/wal-sync.ts`), milliseconds. */
export interface WalFlushTrace {
  readonly ms: number;
}

type Channel = { readonly hasSubscribers: boolean; publish(message: unknown): void };

function channel<T>(name: string): TraceChannel<T> {
  const dc = globalThis.process?.getBuiltinModule?.('node:diagnostics_channel') as { channel(name: string): Channel } | undefined;
  const found = dc?.channel(name);
  return {
    get active() {
      return found?.hasSubscribers ?? false;
    },
    publish: (message) => found?.publish(message),
  };
}

/** `pulsesync:push-group`. */
export const pushGroupTrace: TraceChannel<PushGroupTrace> = channel('pulsesync:push-group');
/** `pulsesync:wal-flush`. */
export const walFlushTrace: TraceChannel<WalFlushTrace> = channel('pulsesync:wal-flush');
