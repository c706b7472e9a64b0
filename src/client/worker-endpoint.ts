/**
 * Which worker a client talks to: the app's own (`worker`), a worker script at a URL the
 * app serves (`workerUrl`). The prebuilt default is added one level up
 * (with-default-worker.ts), so this module, and `pulsesync/client`, never reference it.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { WireEndpoint } from '../worker-api/wire.ts';

/** The worker options of a client. */
export interface WorkerChoice {
  readonly worker?: Worker | WireEndpoint;
  readonly workerUrl?: string | URL;
}

/** The endpoint to talk to; fails with `INVALID_CONFIG` when neither option is given. */
export function workerEndpoint(choice: WorkerChoice): WireEndpoint {
  if (choice.worker !== undefined) return choice.worker;
  if (choice.workerUrl !== undefined) return new Worker(choice.workerUrl, { type: 'module', name: 'pulsesync-worker' });
  throw new SyncError(
    ErrorCode.INVALID_CONFIG,
    "createSyncClient from 'pulsesync/client' needs options.worker or options.workerUrl; import createSyncClient from 'pulsesync' to get the prebuilt worker",
    { details: { field: 'worker' } },
  );
}
