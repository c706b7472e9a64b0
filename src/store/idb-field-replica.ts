/**
 * The IndexedDB replica with field-level records: `patch` and `explain` beside the
 * rest. `openReplica` makes it when given `fields` (`replicaFields`), so a replica
 * without them, the default worker's, carries neither.
 */
import type { PushedChange } from '../protocol/types.ts';
import { assertCollective, assertRecordId } from '../protocol/validate.ts';
import type { PatchInput, RecordExplanation } from './field-seam.ts';
import { IdbReplica } from './idb-replica.ts';
import { requestResult } from './idb-transaction.ts';
import { explainRecord } from './record-history.ts';
import { toLoggedPatch } from './logged-patch.ts';
import { fromRecordRow, Stores, type RecordRow } from './schema.ts';

/** The IndexedDB replica of `openReplica({ fields })`; see the file comment. */
export class FieldIdbReplica extends IdbReplica {
  patch(collective: string, id: string, fields: PatchInput): Promise<PushedChange[]> {
    return this.connection.guard('patch', () => this.writeLogged('patch', [toLoggedPatch(collective, id, fields)]));
  }

  explain(collective: string, id: string): Promise<RecordExplanation> {
    return this.connection.guard('explain', async () => {
      assertCollective(collective);
      assertRecordId(id);
      const row = (await this.connection.run('explain', [Stores.records], 'readonly', (tx) =>
        requestResult(tx.objectStore(Stores.records).get([collective, id])),
      )) as RecordRow | undefined;
      return explainRecord(collective, id, row && fromRecordRow(row));
    });
  }
}
