/**
 * The prebuilt worker's size as served: brotli (quality 11, as size-limit's file plugin)
 * of dist/src/client/pulsesync-worker.js. Its guard is 21.5 KB; client + worker together
 * may weigh 25 KB (.size-limit.js guards the client at 4.2 KB; the sum is checked here and in npm test).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';

/** The worker's budget, brotli bytes. */
export const WORKER_BUDGET_BYTES = 21_500;
/** Client + worker, brotli bytes. */
export const TOTAL_BUDGET_BYTES = 25_000;

/** Brotli bytes of the prebuilt worker under `root` (a checkout or an unpacked tarball). */
export function workerBrotliBytes(root: string): number {
  const file = readFileSync(join(root, 'dist/src/client/pulsesync-worker.js'));
  return brotliCompressSync(file, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
}

// `npm run size`: the client by size-limit, the worker as served, and their sum against the budget.
if (process.argv[1]?.endsWith('worker-size.ts') === true) {
  const root = join(import.meta.dirname, '..');
  const run = spawnSync(process.execPath, [join(root, 'node_modules/size-limit/bin.js'), '--json'], { cwd: root, encoding: 'utf8' });
  const checks = JSON.parse(run.stdout) as { name: string; size: number; passed?: boolean }[];
  const worker = workerBrotliBytes(root);
  const total = checks.reduce((sum, check) => sum + check.size, worker);
  for (const check of checks) console.log(`${check.name}: ${check.size} B${check.passed === false ? ' (over its guard)' : ''}`);
  console.log(`worker (as served): ${worker} B, guard ${WORKER_BUDGET_BYTES} B`);
  console.log(`client + worker: ${total} B, budget ${TOTAL_BUDGET_BYTES} B`);
  if (run.status !== 0 || worker > WORKER_BUDGET_BYTES || total > TOTAL_BUDGET_BYTES) process.exit(1);
}
