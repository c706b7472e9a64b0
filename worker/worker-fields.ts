/**
 * Field-level records in the worker: what `exposeSyncWorker({ fields: workerFields })`
 * adds to the sync worker, and pulsesync's full worker has beside collections. Its
 * replicas keep field-level records (`field-last-write-wins`: patches, the merge with
 * what they hold) and each record's history, and the page gets two calls, `patch` and
 * `explain`. A worker without it carries none of this code, refuses a page configured
 * for `field-last-write-wins` at connect, and whole-record policies lose nothing by it.
 */
import { ErrorCode, SyncError } from '../src/protocol/errors.ts';
import type { FieldStore } from '../src/store/field-seam.ts';
import { replicaFields } from '../src/store/replica-fields.ts';
import { plainErrors } from './expose.ts';
import type { FieldsSeam } from './fields-seam.ts';
import type { SyncWorker } from './sync-worker.ts';
import type { WorkerFields } from './worker-options.ts';

/**
 * The replica of `worker`'s tab, for `what`: it has field-level records only under their
 * policy (connection.ts), and the call is refused under another. (The page passes
 * `patch` and `explain` as they are, and a worker without field-level records at all,
 * the default worker, has neither call: it refuses their policy at connect.)
 */
async function fieldReplica(worker: SyncWorker, what: 'patch' | 'explain'): Promise<FieldStore> {
  const replica = await worker.replicaFor(what);
  if (replica.patch === undefined || replica.explain === undefined) {
    throw new SyncError(ErrorCode.INVALID_CONFIG, `${what}() needs config.conflictResolution 'field-last-write-wins'`, { details: { field: 'conflictResolution' } });
  }
  return replica as FieldStore;
}

/** What the sync worker reaches (fields-seam.ts). */
const seam: FieldsSeam = {
  kind: 'fields',
  replica: replicaFields,
  api: (worker) => ({
    patch: (collective, id, fields) =>
      plainErrors(async () => {
        const replica = await fieldReplica(worker, 'patch');
        const logged = await replica.patch(collective, id, fields);
        // The receipt of a write, as put's (sync-worker.ts).
        return { instanceId: replica.instanceId, firstSeq: logged[0]?.seq ?? 0, seq: logged.at(-1)?.seq ?? 0 };
      }),
    explain: (collective, id) => plainErrors(async () => (await fieldReplica(worker, 'explain')).explain(collective, id)),
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
