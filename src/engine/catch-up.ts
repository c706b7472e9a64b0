/**
 * The catch-up: pulling in batches until `hasMore` is false, with progress after each
 * batch (`initialPull`). A started manager's pull loop runs it first; `initialSync()`
 * runs it on demand. One runs at a time: asking while one is in flight joins it, so an
 * app awaiting `initialSync()` after `start()` waits for the loop's catch-up instead
 * of pulling everything twice.
 */
import type { SyncProgress } from '../protocol/types.ts';
import { initialPull } from './pull.ts';
import type { SyncContext } from './sync-context.ts';

const NOTHING_PULLED: SyncProgress = { batch: 0, totalPulled: 0, hasMore: false, total: 0 };

/** One catch-up run; a push-only manager pulls nothing and reports an empty progress. */
export function catchUpCycle(ctx: SyncContext, onProgress: (progress: SyncProgress) => void): Promise<SyncProgress> {
  if (ctx.config.direction === 'push-only') return Promise.resolve(NOTHING_PULLED);
  return initialPull(ctx, onProgress);
}

/** Who runs a catch-up: the pull loop, or a call. */
export type CatchUpKind = 'pull' | 'manual';

/** The catch-up of one manager: whether it has gone through, and the one in flight. */
export class CatchUp {
  readonly #run: (kind: CatchUpKind) => Promise<SyncProgress>;
  #done = false;
  #inFlight: Promise<SyncProgress> | undefined;

  /** `run` queues one catch-up (and rejects as it failed). */
  constructor(run: (kind: CatchUpKind) => Promise<SyncProgress>) {
    this.#run = run;
  }

  /** Has a catch-up gone through since the last {@link reset}? */
  get done(): boolean {
    return this.#done;
  }

  /** A new start: its pull loop catches up again. */
  reset(): void {
    this.#done = false;
  }

  /** The catch-up in flight, or a new one run by `kind`. */
  join(kind: CatchUpKind): Promise<SyncProgress> {
    if (this.#inFlight !== undefined) return this.#inFlight;
    const run: Promise<SyncProgress> = this.#run(kind)
      .then((progress) => {
        this.#done = true;
        return progress;
      })
      .finally(() => {
        if (this.#inFlight === run) this.#inFlight = undefined;
      });
    this.#inFlight = run;
    return run;
  }
}
