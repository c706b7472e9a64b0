/**
 * The calls the page passes to the worker as they are, one list for both sides: the
 * client defines a method for each (`sync-client.ts`), the worker serves each with its
 * failures made plain (`worker/expose.ts`).
 */
import type { SyncWorkerApi } from './sync-worker-api.ts';

/** Method names of {@link SyncWorkerApi} that cross the wire with their arguments untouched. */
export const PASSED_CALLS = [
  'put',
  'putMany',
  'delete',
  'get',
  'list',
  'start',
  'stop',
  'syncOnce',
  'pending',
  'isPending',
  'pendingIds',
  'whenPushed',
  'clearLocalData',
] as const satisfies readonly (keyof SyncWorkerApi)[];

/** One of {@link PASSED_CALLS}. */
export type PassedCall = (typeof PASSED_CALLS)[number];
