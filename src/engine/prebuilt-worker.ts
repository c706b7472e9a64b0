/**
 * Whether this code was bundled into one of pulsesync's prebuilt workers
 * (`pulsesync-worker.js`, `pulsesync-worker-collections.js`): `scripts/build.ts` defines
 * `PULSESYNC_PREBUILT_WORKER` as true when it bundles them; anywhere else (the package's
 * modules, an app's own worker module, tests) it is not defined, so this is false.
 *
 * Why: the client starts a prebuilt worker and sends it data only, never a function,
 * so no conflict resolver can reach one (a resolver is given to an app's own worker
 * module: `exposeSyncWorker({ conflictResolver })`). The code that asks a resolver and
 * writes its answer back is dead there, and the flag lets the bundler leave it out
 * (~420 B brotli of the default worker). No behaviour differs: with no resolver, the
 * conflict policy decides, in every build. Likewise the worker's options
 * (`SyncWorkerOptions`): the prebuilt workers are started with none but `collections`,
 * so the code reading the others is left out there (`injected` in worker/worker-options.ts).
 */
declare const PULSESYNC_PREBUILT_WORKER: boolean | undefined;

/** True only in pulsesync's prebuilt workers (see the file comment). */
export const IN_PREBUILT_WORKER: boolean = typeof PULSESYNC_PREBUILT_WORKER !== 'undefined' && PULSESYNC_PREBUILT_WORKER;

/**
 * `options[key]` where the prebuilt workers never give it: undefined there, so the
 * bundler leaves out the code that would use it (an option of an app's own worker
 * module, or of a replica the worker opens itself), and the option anywhere else.
 */
export function notInPrebuiltWorker<T, K extends keyof T>(options: T, key: K): T[K] | undefined {
  return IN_PREBUILT_WORKER ? undefined : options[key];
}

declare const PULSESYNC_WORKER_COLLECTIONS: boolean | undefined;

/**
 * False only in pulsesync's prebuilt default worker, which is started without
 * collections (`default-worker.ts`; `scripts/build.ts` defines
 * `PULSESYNC_WORKER_COLLECTIONS` as false there): the code that reaches them (the
 * seam's connect and calls, the replica's open with indexes) is left out of it.
 */
export const WITH_COLLECTIONS: boolean = typeof PULSESYNC_WORKER_COLLECTIONS === 'undefined' || PULSESYNC_WORKER_COLLECTIONS;
