/**
 * A store transaction is valid only while its `transaction(fn)` call runs: a caller
 * that kept `tx` and used it later would write outside any transaction. Every store
 * wraps its transaction object with this guard.
 */
import { ErrorCode, SyncError } from '../../protocol/errors.ts';
import type { ServerStoreTransaction } from '../types.ts';

/** `tx` whose methods fail INTERNAL once `end()` was called. */
export function guardTransaction(tx: ServerStoreTransaction): { readonly tx: ServerStoreTransaction; end(): void } {
  let active = true;
  const check = (): void => {
    if (!active) throw new SyncError(ErrorCode.INTERNAL, 'A server store transaction was used after it ended');
  };
  return {
    tx: {
      getRecords: async (keys) => (check(), tx.getRecords(keys)),
      getAppliedSeq: async (source) => (check(), tx.getAppliedSeq(source)),
      setAppliedSeq: async (source, seq) => (check(), tx.setAppliedSeq(source, seq)),
      writeRecords: async (rows) => (check(), tx.writeRecords(rows)),
    },
    end: () => {
      active = false;
    },
  };
}
