/**
 * What a store's transaction can offer a group of pushes beyond `ServerStoreTransaction`:
 * reading everything the group will look at in one go, and the latest version without
 * a read. For stores where every read is a round trip to a database (Postgres), under
 * the push lock, and under load a round trip waits for a turn of a busy event loop
 * (seen: ~20 ms each at a load of 10 on 2 cores); a group of 20 pushes made 3 reads a
 * push and one more after its commit. Stores without it (SQLite, memory: their reads
 * never leave the process) are read one key at a time, as before.
 *
 * Internal: not part of the `ServerStoreTransaction` a store of someone else's
 * implements, so the public interface does not change for what one store needs.
 */
import type { InstanceId, RecordKey, SyncCursor } from '../../protocol/types.ts';
import type { InstanceRecord, ServerRecord, ServerStoreTransaction } from '../types.ts';

/** What a group of pushes will read. */
export interface ReadAheadKeys {
  readonly records: readonly RecordKey[];
  /** Applied-seq keys (see `appliedSeqKey`). */
  readonly sources: readonly InstanceId[];
  readonly instanceIds: readonly InstanceId[];
}

/** What {@link ReadAheadKeys} found, as the transaction sees it; what does not exist is absent. */
export interface ReadAhead {
  /** By `recordKey`. */
  readonly records: Map<string, ServerRecord>;
  readonly appliedSeqs: Map<InstanceId, number>;
  readonly instances: Map<InstanceId, InstanceRecord>;
}

/** A transaction that reads ahead. */
export interface ReadAheadTransaction extends ServerStoreTransaction {
  /** Reads every key of `keys` in one round trip. */
  readAhead(keys: ReadAheadKeys): Promise<ReadAhead>;
  /**
   * The highest version as this transaction sees it, its own writes included: what the
   * store's `latestVersion` says once it commits, since no other push writes meanwhile.
   */
  latestVersion(): Promise<SyncCursor>;
}

/** Does `tx` read ahead? */
export function readsAhead(tx: ServerStoreTransaction): tx is ReadAheadTransaction {
  const maybe = tx as Partial<ReadAheadTransaction>;
  return typeof maybe.readAhead === 'function' && typeof maybe.latestVersion === 'function';
}
