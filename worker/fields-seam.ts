/**
 * How the sync worker reaches field-level records when it is given them: the parts of
 * `workerFields` (worker-fields.ts) behind the opaque `WorkerFields` of its options.
 * Types only: a worker without them imports none of their code.
 */
import type { ReplicaFields } from '../src/store/field-seam.ts';
import type { FieldCalls } from '../src/worker-api/sync-worker-api.ts';
import type { SyncWorker } from './sync-worker.ts';
import type { WorkerFields } from './worker-options.ts';

/** What `SyncWorkerOptions.fields` holds: `workerFields`, the only `WorkerFields`. */
export interface FieldsSeam extends WorkerFields {
  /** What the replicas this worker opens are given (`ReplicaOptions.fields`). */
  readonly replica: ReplicaFields;
  /** The field calls of the worker API (`patch`, `explain`), each on `worker`'s connected tab. */
  readonly api: (worker: SyncWorker) => FieldCalls;
}
