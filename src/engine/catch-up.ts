/**
 * The catch-up: pulling in batches until `hasMore` is false, with progress after each
 * batch (`initialPull`). A started manager's pull loop runs it first; `initialSync()`
 * runs it on demand. One runs at a time: asking while one is in flight joins it, so an
 * app awaiting `initialSync()` after `start()` waits for the loop's catch-up instead
 * of pulling everything twice.
 *
 * The loop's catch-up reports progress once it has pulled something: a start with
 * nothing new (right after an app's own `initialSync()`, say) does not overwrite that
 * run's last word with "nothing new". A call always hears its catch-up end.
 */
import type { SyncProgress } from '../protocol/types.ts';
import { IN_PREBUILT_WORKER } from './prebuilt-worker.ts';
import { initialPull } from './pull.ts';
import type { SyncContext } from './sync-context.ts';

/** Who runs a catch-up: the pull loop, or a call. */
export type CatchUpKind = 'pull' | 'manual';

/** What a catch-up needs from its manager. */
export interface CatchUpHost {
  /** Queues `body` as a run of `kind` (the manager's one queue). */
  run(kind: CatchUpKind, body: (ctx: SyncContext) => Promise<SyncProgress>): Promise<SyncProgress>;
  /** Emits a `progress` event. */
  emit(progress: SyncProgress): void;
  /** Listens to `progress` events; returns the unsubscribe. */
  listen(listener: (progress: SyncProgress) => void): () => void;
}

const NOTHING_PULLED: SyncProgress = { batch: 0, totalPulled: 0, hasMore: false, total: 0 };

/** The catch-up of one manager: whether it has gone through, and the one in flight. */
export class CatchUp {
  readonly #host: CatchUpHost;
  #done = false;
  #inFlight: Promise<SyncProgress> | undefined;

  constructor(host: CatchUpHost) {
    this.#host = host;
  }

  /** Has a catch-up gone through since the last {@link reset}? */
  get done(): boolean {
    return this.#done;
  }

  /** A new start: its pull loop catches up again. */
  reset(): void {
    this.#done = false;
  }

  /**
   * The catch-up in flight, or a new one run by `kind`. `onProgress` hears its batches
   * from now on, and its end. A push-only manager pulls nothing: an empty progress.
   */
  join(kind: CatchUpKind, onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress> {
    const run = this.#inFlight ?? this.#start(kind);
    // A worker's managers are asked with none (its pages hear `progress` events): a
    // prebuilt worker leaves out the rest.
    if (onProgress === undefined || IN_PREBUILT_WORKER) return run;
    let heard = 0;
    const off = this.#host.listen((progress) => {
      heard = progress.batch;
      onProgress(progress);
    });
    return run
      .then((final) => {
        if (final.batch > heard) onProgress(final); // a loop's catch-up that pulled nothing said nothing
        return final;
      })
      .finally(off);
  }

  #start(kind: CatchUpKind): Promise<SyncProgress> {
    const run: Promise<SyncProgress> = this.#host
      .run(kind, (ctx) => {
        if (ctx.config.direction === 'push-only') return Promise.resolve(NOTHING_PULLED);
        return initialPull(ctx, (progress) => {
          if (kind === 'manual' || progress.totalPulled > 0) this.#host.emit(progress);
        });
      })
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
