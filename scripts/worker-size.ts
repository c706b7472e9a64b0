/**
 * The prebuilt worker's size as served: brotli (quality 11, as size-limit's file plugin)
 * of dist/src/client/pulsesync-worker.js. Its budget is 21.1 KB of the 25 KB that client +
 * worker may weigh (.size-limit.js holds the client's 3.9 KB).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';

/** The worker's budget, brotli bytes. */
export const WORKER_BUDGET_BYTES = 21_100;
/** Client + worker, brotli bytes. */
export const TOTAL_BUDGET_BYTES = 25_000;

/** Brotli bytes of the prebuilt worker under `root` (a checkout or an unpacked tarball). */
export function workerBrotliBytes(root: string): number {
  const file = readFileSync(join(root, 'dist/src/client/pulsesync-worker.js'));
  return brotliCompressSync(file, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
}

// `npm run size`: print it after size-limit's client figure, and fail over budget.
if (process.argv[1]?.endsWith('worker-size.ts') === true) {
  const bytes = workerBrotliBytes(join(import.meta.dirname, '..'));
  console.log(`worker (as served): ${bytes} B brotli, limit ${WORKER_BUDGET_BYTES} B`);
  if (bytes > WORKER_BUDGET_BYTES) process.exit(1);
}
