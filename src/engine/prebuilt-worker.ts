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
 * conflict policy decides, in every build.
 */
declare const PULSESYNC_PREBUILT_WORKER: boolean | undefined;

/** True only in pulsesync's prebuilt workers (see the file comment). */
export const IN_PREBUILT_WORKER: boolean = typeof PULSESYNC_PREBUILT_WORKER !== 'undefined' && PULSESYNC_PREBUILT_WORKER;
