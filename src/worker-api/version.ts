/**
 * Which build a client or a worker comes from. The page and its worker may be loaded
 * from different caches, so they compare this at connect (`VERSION_MISMATCH`).
 *
 * A TS constant, not `import { version } from '../../package.json'`: a JSON import
 * breaks bundlers without a JSON loader (webpack 5 refuses named imports from JSON),
 * and would ship the whole manifest. `test/client/sdk-version.test.ts` keeps it equal
 * to package.json's `version`.
 */

import { PACKAGE_VERSION } from '../package-version.ts';

export { PACKAGE_VERSION };

/**
 * Revision of the worker API (`sync-worker-api.ts`). Bump it with any change to those
 * messages, so a stale worker cached from an older build fails `VERSION_MISMATCH`
 * instead of misbehaving.
 */
export const WORKER_API_REVISION = 3;

/** The build a client or worker comes from: package version plus worker API revision. */
export const SDK_VERSION = `${PACKAGE_VERSION}+api.${WORKER_API_REVISION}`;
