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

/**
 * Fails with `INVALID_CONFIG` when neither option is given: `pulsesync/client`'s
 * `createSyncClient` and its collections' `createClient` ask it, while the `pulsesync`
 * entry always gives a worker (its prebuilt one by default), so the core client's bundle
 * leaves this check and its words out.
 */
export function requireWorker(choice: WorkerChoice): void {
  if (choice.worker !== undefined || choice.workerUrl !== undefined) return;
  throw new SyncError(
    ErrorCode.INVALID_CONFIG,
    "createSyncClient from 'pulsesync/client' needs options.worker or options.workerUrl; import createSyncClient from 'pulsesync' to get the prebuilt worker",
    { details: { field: 'worker' } },
  );
}

/** The endpoint to talk to, of a choice that names one ({@link requireWorker}). */
export function workerEndpoint(choice: WorkerChoice): WireEndpoint {
  return choice.worker ?? new Worker(choice.workerUrl as string | URL, { type: 'module', name: 'pulsesync-worker' });
}
