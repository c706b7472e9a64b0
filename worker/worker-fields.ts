/**
 * Field-level records in the worker: what `exposeSyncWorker({ fields: workerFields })`
 * adds to the sync worker, and pulsesync's full worker has beside collections. Its
 * replicas keep field-level records (`field-last-write-wins`: patches, the merge with
 * what they hold) and each record's history, and the page gets two calls, `patch` and
 * `explain`. A worker without it carries none of this code, refuses a page configured
 * for `field-last-write-wins` at connect, and whole-record policies lose nothing by it.
 */
import { fieldStore } from '../src/store/field-seam.ts';
import { replicaFields } from '../src/store/replica-fields.ts';
import { plainErrors } from './expose.ts';
import type { FieldsSeam } from './fields-seam.ts';
import { receiptOf } from './push-waiters.ts';
import type { WorkerFields } from './worker-options.ts';

/** What the sync worker reaches (fields-seam.ts). */
const seam: FieldsSeam = {
  kind: 'fields',
  replica: replicaFields,
  api: (worker) => ({
    patch: (collective, id, fields) =>
      plainErrors(async () => {
        // Its replica has field-level records only under their policy (connection.ts).
        const { replica } = await worker.connectionFor('patch');
        return receiptOf(replica, await fieldStore(replica, 'patch()').patch(collective, id, fields));
      }),
    explain: (collective, id) => plainErrors(async () => fieldStore((await worker.connectionFor('explain')).replica, 'explain()').explain(collective, id)),
  }),
};

/**
 * Field-level records for a sync worker: give it to `exposeSyncWorker` in an app's own
 * worker whose page uses `conflictResolution: 'field-last-write-wins'`, `patch` or
 * `explain` (pulsesync's full worker, started for them, has it).
 *
 * @example
 * import { exposeSyncWorker, workerFields } from 'pulsesync/worker';
 * exposeSyncWorker({ fields: workerFields, conflictResolver });
 */
export const workerFields: WorkerFields = seam;
