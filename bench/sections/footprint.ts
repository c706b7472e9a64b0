/**
 * Section 5: the bytes an app pays — the main-thread client entry and the worker
 * bundle, minified and brotli-compressed — against the 25 KB target for both together.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { measureEntry, type ChunkSize } from '../lib/footprint.ts';
import type { ResultRow } from '../lib/table.ts';

const SECTION = '5 Footprint';
const TARGET_KB = 25;

const kb = (bytes: number): number => bytes / 1024;
const describe = (chunks: readonly ChunkSize[]): string =>
  chunks.map((c) => `${c.fileName}: ${c.raw} B min, ${c.gzip} B gzip, ${c.brotli} B br`).join('; ');

/** Is this emitted chunk a worker script (as Vite names `new Worker(new URL(…))` output)? */
const isWorkerChunk = (c: ChunkSize): boolean => /worker/i.test(c.fileName);

/** Builds and measures the client entry and the worker. */
export async function runFootprint(options: { root: string }): Promise<ResultRow[]> {
  const clientEntry = ['src/index.ts', 'src/client/index.ts'].map((p) => join(options.root, p)).find((p) => existsSync(p));
  if (clientEntry === undefined) {
    return [{ section: SECTION, figure: 'client + worker (brotli)', value: 'not available yet: no src/client', unit: '' }];
  }
  const client = await measureEntry(clientEntry, options.root);
  let clientChunks: readonly ChunkSize[] = client.chunks.filter((c) => !isWorkerChunk(c));
  let workerChunks: readonly ChunkSize[] = client.chunks.filter(isWorkerChunk);
  let workerSource = `emitted by ${clientEntry.slice(options.root.length)}`;
  if (workerChunks.length === 0) {
    // The client does not spawn a bundled worker itself: measure the worker entry.
    const workerEntry = ['worker/sync-worker.ts', 'worker/worker.ts', 'worker/index.ts'].map((p) => join(options.root, p)).find((p) => existsSync(p));
    if (workerEntry !== undefined) {
      workerChunks = (await measureEntry(workerEntry, options.root)).chunks;
      workerSource = workerEntry.slice(options.root.length);
    }
  } else {
    clientChunks = clientChunks.length > 0 ? clientChunks : client.chunks;
  }
  const clientBr = clientChunks.reduce((s, c) => s + c.brotli, 0);
  const workerBr = workerChunks.reduce((s, c) => s + c.brotli, 0);
  const total = clientBr + workerBr;
  return [
    { section: SECTION, figure: 'client entry (brotli)', value: kb(clientBr), unit: 'KB', note: `${clientEntry.slice(options.root.length)} → ${describe(clientChunks)}` },
    workerChunks.length === 0
      ? { section: SECTION, figure: 'worker (brotli)', value: 'not available yet: no worker entry', unit: '' }
      : { section: SECTION, figure: 'worker (brotli)', value: kb(workerBr), unit: 'KB', note: `${workerSource} → ${describe(workerChunks)}` },
    {
      section: SECTION,
      figure: 'client + worker (brotli)',
      value: kb(total),
      unit: 'KB',
      target: `< ${TARGET_KB} KB`,
      ...(workerChunks.length > 0 ? { met: kb(total) < TARGET_KB } : {}),
    },
  ];
}
