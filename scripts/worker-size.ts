/**
 * What a page pays, as `npm run size` prints it and npm test checks it on the tarball:
 * the clients by size-limit (.size-limit.js: bundled by esbuild, brotli), the prebuilt
 * workers as served (brotli, quality 11, as size-limit's file plugin, of the files in
 * dist/src/client/), and their sums.
 *
 * - Core, the sync path, for every app: client + default worker ≤ 25 KB (25,000 B),
 *   with guards per part (client 3.0 KB in .size-limit.js, worker 22,200 B here).
 *   Collections are opt-in and must not add to it.
 * - Collections and field-level records, for apps that declare collections or use
 *   field-last-write-wins: the client with `defineCollections` + the full (collections)
 *   worker, each with a guard a little above today's figure, and their sum.
 * - `pulsesync/react`'s hooks: a guard in .size-limit.js.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';

/** The default worker's guard, brotli bytes. */
export const WORKER_BUDGET_BYTES = 22_200;
/** Client + default worker: the budget of the sync path, brotli bytes. */
export const TOTAL_BUDGET_BYTES = 25_000;
/**
 * The collections worker's guard, brotli bytes. It is pulsesync's full worker: besides
 * collections it carries field-level records (field-last-write-wins: patches, the field
 * merge, stamps, record history for explain), which are opt-in and live in this worker
 * only, so they add nothing to the core. 28,727 B when set (25,632 B on average without
 * field-level records, 28,815 B with them over 14 mangled-name variations).
 */
export const COLLECTIONS_WORKER_GUARD_BYTES = 29_200;
/**
 * Client with collections + the full worker, brotli bytes (33,119 B when set; 29,894 B before
 * field-level records; +993 B for the client's whole-collection reads on the page).
 */
export const COLLECTIONS_TOTAL_GUARD_BYTES = 34_600;

/** The prebuilt workers, in dist/src/client/. */
export const WORKER_FILES = { core: 'pulsesync-worker.js', collections: 'pulsesync-worker-collections.js' } as const;

/** Brotli bytes of a prebuilt worker under `root` (a checkout or an unpacked tarball). */
export function workerBrotliBytes(root: string, file: string = WORKER_FILES.core): number {
  const bytes = readFileSync(join(root, 'dist/src/client', file));
  return brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
}

/** One size-limit check, as `size-limit --json` reports it. */
export interface SizeLimitCheck {
  readonly name: string;
  readonly size: number;
  readonly passed?: boolean;
  readonly sizeLimit?: number;
}

/** The figures of a build: one line each, and what is over its budget or guard. */
export interface SizeReport {
  readonly lines: readonly string[];
  readonly over: readonly string[];
}

/** The check named `prefix…` of .size-limit.js. */
function check(checks: readonly SizeLimitCheck[], prefix: string): SizeLimitCheck {
  const found = checks.find((c) => c.name.startsWith(prefix));
  if (found === undefined) throw new Error(`.size-limit.js has no check named "${prefix}…"`);
  return found;
}

/** Every figure of the build under `root`, given size-limit's `checks` of it. */
export function sizeReport(root: string, checks: readonly SizeLimitCheck[]): SizeReport {
  const lines: string[] = [];
  const over: string[] = [];
  const figure = (label: string, bytes: number, limit: number | undefined, kind = 'guard'): void => {
    lines.push(`${label}: ${bytes} B${limit === undefined ? '' : ` (${kind} ${limit} B)`}`);
    if (limit !== undefined && bytes > limit) over.push(`${label}: ${bytes} B > ${limit} B`);
  };
  const client = check(checks, 'client:');
  const collectionsClient = check(checks, 'client with collections:');
  const react = check(checks, 'react hooks:');
  const worker = workerBrotliBytes(root, WORKER_FILES.core);
  const collectionsWorker = workerBrotliBytes(root, WORKER_FILES.collections);
  figure('core client (size-limit)', client.size, client.sizeLimit);
  figure('core worker (pulsesync-worker.js as served)', worker, WORKER_BUDGET_BYTES);
  figure('core client + worker', client.size + worker, TOTAL_BUDGET_BYTES, 'budget');
  figure('client with collections (size-limit)', collectionsClient.size, collectionsClient.sizeLimit);
  figure('collections worker (pulsesync-worker-collections.js as served)', collectionsWorker, COLLECTIONS_WORKER_GUARD_BYTES);
  figure('client with collections + collections worker', collectionsClient.size + collectionsWorker, COLLECTIONS_TOTAL_GUARD_BYTES);
  figure('pulsesync/react hooks (size-limit, React not counted)', react.size, react.sizeLimit);
  return { lines, over };
}

/** Runs size-limit in `root` (a checkout, or an unpacked tarball with .size-limit.js copied in). */
export function runSizeLimit(root: string, sizeLimitBin: string): { checks: SizeLimitCheck[]; status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [sizeLimitBin, '--json'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  // size-limit exits 1 when a check is over its limit, with the JSON still on stdout.
  const checks = run.stdout.trim() === '' ? [] : (JSON.parse(run.stdout) as SizeLimitCheck[]);
  return { checks, status: run.status, stderr: run.stderr };
}

// `npm run size`: every figure, and exit 1 if one is over.
if (process.argv[1]?.endsWith('worker-size.ts') === true) {
  const root = join(import.meta.dirname, '..');
  const { checks, stderr } = runSizeLimit(root, join(root, 'node_modules/size-limit/bin.js'));
  if (checks.length === 0) {
    console.error(`size-limit gave no figures: ${stderr}`);
    process.exit(1);
  }
  const report = sizeReport(root, checks);
  for (const line of report.lines) console.log(line);
  for (const line of report.over) console.error(`over: ${line}`);
  if (report.over.length > 0) process.exit(1);
}
