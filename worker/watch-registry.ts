/**
 * The live queries of one tab: each is run once when the page adds it, then again
 * whenever a committed change could alter its result, and every result goes to the
 * page. Changes come as the replica's change events (this tab's writes, the batches
 * its sync applies) and the other tabs' (theirs): one event is one transaction, so a
 * pulled batch of 500 re-runs each affected watch once, and a watch never re-runs for
 * another collection. A watch whose run is in flight runs once more after it, however
 * many events came meanwhile. Removing a watch drops everything it held.
 */
import { SyncError } from '../src/protocol/errors.ts';
import { passesAll, testsOf, type Test } from '../src/query/conditions.ts';
import type { QueryPage, WatchMessage, WatchResult, WatchTarget } from '../src/query/types.ts';
import type { ChangeEvent } from '../src/store/types.ts';

interface Watch {
  readonly target: WatchTarget;
  /** A query's `where`, to tell whether a written value could enter its result. */
  readonly tests: ReadonlyMap<string, Test>;
  /** Ids in a query's last result: a change to one of them may alter or remove it. */
  ids: ReadonlySet<string>;
  running: boolean;
  again: boolean;
}

/** Could `change` alter what `watch` shows? */
function affects(watch: Watch, change: ChangeEvent['changes'][number]): boolean {
  const { target } = watch;
  if (change.collective !== target.collection) return false;
  if (watch.running || target.kind === 'count') return true;
  if (target.kind === 'record') return change.id === target.id;
  return watch.ids.has(change.id) || (change.op === 'put' && passesAll(watch.tests, change.value));
}

/** The live queries of one tab; see the file comment. */
export class WatchRegistry {
  readonly #watches = new Map<number, Watch>();
  readonly #run: (target: WatchTarget) => Promise<WatchResult>;
  readonly #send: (message: WatchMessage) => void;

  constructor(run: (target: WatchTarget) => Promise<WatchResult>, send: (message: WatchMessage) => void) {
    this.#run = run;
    this.#send = send;
  }

  /** How many watches are held. */
  get size(): number {
    return this.#watches.size;
  }

  /** Adds watch `id` (a page's number) and runs it; its first result follows as a message. */
  add(id: number, target: WatchTarget): void {
    // A malformed where fails the call here, not a later run.
    const tests = target.kind === 'query' ? testsOf(target.query.where) : new Map<string, Test>();
    this.remove(id);
    const watch: Watch = { target, tests, ids: new Set(), running: false, again: false };
    this.#watches.set(id, watch);
    void this.#evaluate(id, watch);
  }

  /** Forgets watch `id`; a run in flight is dropped when it ends. */
  remove(id: number): void {
    this.#watches.delete(id);
  }

  /** A transaction committed (here or in another tab): re-run each watch it may alter. */
  changed(event: ChangeEvent): void {
    for (const [id, watch] of this.#watches) {
      if (event.changes.some((change) => affects(watch, change))) void this.#evaluate(id, watch);
    }
  }

  /** Re-runs every watch (the replica changed in a way no change event describes). */
  refreshAll(): void {
    for (const [id, watch] of this.#watches) void this.#evaluate(id, watch);
  }

  /** Forgets every watch. */
  close(): void {
    this.#watches.clear();
  }

  async #evaluate(id: number, watch: Watch): Promise<void> {
    if (watch.running) {
      watch.again = true;
      return;
    }
    watch.running = true;
    do {
      watch.again = false;
      let message: WatchMessage;
      try {
        const result = await this.#run(watch.target);
        if (watch.target.kind === 'query') watch.ids = new Set((result as QueryPage).records.map((record) => record.id));
        message = { id, result };
      } catch (error) {
        message = { id, error: SyncError.from(error).toJSON() };
      }
      if (this.#watches.get(id) !== watch) return;
      this.#send(message);
    } while (watch.again);
    watch.running = false;
  }
}
