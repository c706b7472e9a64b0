/**
 * The one queue every network run of a manager goes through, so a manual run never
 * overlaps a background one. Each run shakes hands first if there is no session yet,
 * goes again under a fresh identity if the server refuses the replica's (once per
 * cause per start, see `identity-renewal.ts`), and keeps the status book: `syncing`
 * while it runs (unless quiet), the cursors, `lastSyncedAt` and its failure cleared
 * on success.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { handshake, type SyncSession } from './handshake.ts';
import { renewIdentity } from './identity-renewal.ts';
import { peerKey } from './peer-key.ts';
import { readCursors, readSyncFacts, SyncFactsKeeper } from './sync-facts.ts';
import type { SyncContext } from './sync-context.ts';
import type { RunKind, SyncStatusBook } from './sync-status.ts';

/** What the runs share with their manager: the parts of every run's context, and more. */
export interface RunQueueOptions extends Pick<SyncContext, 'store' | 'transport' | 'config'> {
  readonly book: SyncStatusBook;
  /** Is the manager stopped? Runs then fail `SHUTDOWN`, before they start or between batches. */
  readonly stopped: () => boolean;
  readonly shutdownError: (what: string) => SyncError;
  /** Where a run reports conflicts, failures that do not stop it, and acknowledgements. */
  readonly report: Pick<SyncContext, 'onConflict' | 'onError' | 'onAck' | 'onReset'>;
}

/** How a run shows. */
export interface RunOptions {
  /**
   * Not `syncing` while it runs, unless it brings changes (a background poll that finds
   * nothing flaps no status; see `sync-status.ts`).
   */
  readonly quiet?: boolean;
}

/** Runs one at a time, in the order asked. */
export class RunQueue {
  readonly #options: RunQueueOptions;
  /** Keeps when the replica last synced, and with whom, across reloads. */
  readonly #facts: SyncFactsKeeper;
  #session: SyncSession | undefined;
  /** Causes of an identity renewal since the last start (each renews once). */
  readonly #renewed = new Set<string>();
  /** Tail of the queue. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: RunQueueOptions) {
    this.#options = options;
    this.#facts = new SyncFactsKeeper(options.store);
    // What the replica remembers from before (a reload): shown until a run knows better.
    void readSyncFacts(options.store).then((facts) => {
      if (!options.stopped()) options.book.restore(facts);
    });
  }

  /** Settles once every run queued so far has ended. */
  get idle(): Promise<unknown> {
    return this.#tail;
  }

  /** Saves when the replica last synced, if a save was put off (the manager stops). */
  flushFacts(): Promise<void> {
    return this.#facts.flush();
  }

  /** The next run shakes hands again, and may renew a refused identity again (a new start). */
  forgetSession(): void {
    this.#session = undefined;
    this.#renewed.clear();
  }

  /**
   * Runs `body` alone, after every run queued before it. A manual run's failure is
   * reported here; a loop's by the loop, which knows the retry schedule.
   */
  run<T>(kind: RunKind, body: (ctx: SyncContext) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const { book, store, stopped, shutdownError } = this.#options;
    let quiet = options.quiet === true;
    const run = this.#tail.then(async () => {
      if (stopped()) throw shutdownError(kind);
      book.runStarted(quiet);
      // A quiet run that brings changes is one a user sees: `syncing` from its first batch.
      const loudOnChanges = !quiet
        ? undefined
        : store.subscribe((event) => {
            if (!quiet || event.source !== 'remote') return;
            quiet = false;
            book.runStarted();
          });
      try {
        const [result, ctx] = await this.#attempt(body);
        // Read before the run reports its end, so one status carries both.
        book.setCursors(await readCursors(store, ctx.peer));
        book.runSucceeded(kind, quiet);
        this.#facts.synced(ctx.peer, book.lastSyncedAt ?? 0);
        return result;
      } catch (error) {
        const failure = SyncError.from(error);
        book.runFailed(quiet);
        if (kind === 'manual') {
          if (failure.code === ErrorCode.SHUTDOWN) book.report();
          else book.fail('manual', failure);
        }
        throw failure;
      } finally {
        loudOnChanges?.();
      }
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Shakes hands if needed and runs `body`; again, once per cause, after renewing a
   * refused identity or resetting a refused pull. Returns the result and the context it ran in.
   */
  async #attempt<T>(body: (ctx: SyncContext) => Promise<T>): Promise<[T, SyncContext]> {
    const { store, transport, report } = this.#options;
    // One reset per run at most (see identity-renewal.ts).
    for (let reset = false; ; ) {
      let ctx: SyncContext | undefined;
      try {
        this.#session ??= await handshake(transport, store);
        ctx = this.#context(this.#session);
        return [await body(ctx), ctx];
      } catch (error) {
        const failure = SyncError.from(error);
        const retired = this.#session?.sender.instanceId ?? store.instanceId;
        const answer = await renewIdentity(store, retired, failure, this.#renewed, report, reset ? undefined : ctx?.peer);
        if (answer === undefined) throw failure;
        reset ||= answer === 'reset';
        this.#session = undefined; // shake hands again (as the new id, after a renewal)
      }
    }
  }

  #context(session: SyncSession): SyncContext {
    const { store, transport, config, stopped, shutdownError, report } = this.#options;
    return {
      store,
      transport,
      config,
      sender: session.sender,
      peer: peerKey(session.serverId, config.collectives),
      checkpoint: () => {
        if (stopped()) throw shutdownError('sync');
      },
      ...report,
    };
  }
}
