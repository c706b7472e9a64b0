/**
 * The worker `createSyncClient()` starts when the app gives none: sync over HTTP with
 * the built-in conflict policies.
 */
import { exposeSyncWorker } from './expose.ts';

exposeSyncWorker();
