/**
 * The shape of every store's write transaction, once: begin, run the caller's function,
 * commit — or roll back and rethrow — then tell the commit listeners, but only after a
 * commit that wrote rows. Each store supplies its own steps (a SQL BEGIN/COMMIT, or the
 * memory store's buffer); the order and the guarantees live here.
 *
 * A transaction object is valid only while its `transaction(fn)` call runs: a caller
 * that kept `tx` and used it later would write outside any transaction, so its methods
 * fail INTERNAL once the transaction has ended.
 */
import { ErrorCode, SyncError } from '../../protocol/errors.ts';
import type { ServerStoreTransaction } from '../types.ts';
import type { CommitListeners } from './commit-listeners.ts';
import { readsAhead, type ReadAheadKeys } from './read-ahead.ts';

/** How one store begins, commits and rolls back one write transaction. */
export interface TransactionSteps {
  /** The transaction's reads and writes, valid between `begin` and `commit`. */
  readonly tx: ServerStoreTransaction;
  begin(): void | Promise<void>;
  /** Makes every write durable and visible at once; `wrote` says whether any row was written. */
  commit(wrote: boolean): void | Promise<void>;
  /** Undoes whatever `begin` and the writes did; must not throw (the original failure is what the caller needs). */
  rollback(): void | Promise<void>;
}

/**
 * Runs `fn` in one transaction made of `steps`: all its writes commit, or none. After
 * a commit that wrote rows, `listeners` are told which collectives it touched (after,
 * so a listener that pulls at once sees the rows).
 */
export async function runTransaction<T>(
  steps: TransactionSteps,
  listeners: CommitListeners,
  fn: (tx: ServerStoreTransaction) => Promise<T>,
): Promise<T> {
  let active = true;
  let wrote = false;
  // What the commit touched, for listeners that poke only the readers of a collective.
  const collectives = new Set<string>();
  const check = (): void => {
    if (!active) throw new SyncError(ErrorCode.INTERNAL, 'A server store transaction was used after it ended');
  };
  const { tx } = steps;
  const guarded: ServerStoreTransaction = {
    getRecords: async (keys) => (check(), tx.getRecords(keys)),
    getAppliedSeq: async (source) => (check(), tx.getAppliedSeq(source)),
    setAppliedSeq: async (source, seq) => (check(), tx.setAppliedSeq(source, seq)),
    writeRecords: async (rows) => {
      check();
      const written = await tx.writeRecords(rows);
      if (written.length > 0) wrote = true;
      for (const row of written) collectives.add(row.collective);
      return written;
    },
    getInstance: async (instanceId) => (check(), tx.getInstance(instanceId)),
    putInstance: async (record) => (check(), tx.putInstance(record)),
    ...(readsAhead(tx)
      ? {
          readAhead: async (keys: ReadAheadKeys) => (check(), tx.readAhead(keys)),
          latestVersion: async () => (check(), tx.latestVersion()),
        }
      : {}),
  };
  let result: T;
  try {
    await steps.begin();
    result = await fn(guarded);
    active = false;
    await steps.commit(wrote);
  } catch (error) {
    active = false;
    await steps.rollback();
    throw error;
  }
  if (wrote) listeners.emit({ collectives: [...collectives] });
  return result;
}
