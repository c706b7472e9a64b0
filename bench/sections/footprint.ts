/**
 * Section 5: the bytes an app pays — the main-thread client entry and the worker
 * bundle, minified and brotli-compressed — against the 25 KB target for both together.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/**
 * What an app's main thread imports: `createSyncClient` from the package entry (or from
 * src/client until the entry exports it), tree-shaken as an app build would. Written as
 * a one-line module under bench-output/ so only that export is kept.
 */
function appEntry(root: string): { file: string; from: string } | undefined {
  const index = join(root, 'src/index.ts');
  const client = join(root, 'src/client/index.ts');
  const from = existsSync(index) && /createSyncClient|client\/index/.test(readFileSync(index, 'utf8')) ? index : existsSync(client) ? client : undefined;
  if (from === undefined) return undefined;
  const dir = join(root, 'bench-output');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'footprint-app-entry.ts');
  writeFileSync(file, `export { createSyncClient } from ${JSON.stringify(from)};\n`);
  return { file, from: from.slice(root.length) };
}

/** Builds and measures the client entry and the worker. */
export async function runFootprint(options: { root: string }): Promise<ResultRow[]> {
  const entry = appEntry(options.root);
  if (entry === undefined) {
    return [{ section: SECTION, figure: 'client + worker (brotli)', value: 'not available yet: no src/client', unit: '' }];
  }
  const client = await measureEntry(entry.file, options.root);
  let clientChunks: readonly ChunkSize[] = client.chunks.filter((c) => !isWorkerChunk(c));
  let workerChunks: readonly ChunkSize[] = client.chunks.filter(isWorkerChunk);
  let workerSource = `emitted by createSyncClient's new Worker(new URL(…))`;
  if (workerChunks.length === 0) {
    // The client does not spawn a bundled worker itself: measure the worker entry.
    const workerEntry = ['worker/default-worker.ts', 'worker/index.ts'].map((p) => join(options.root, p)).find((p) => existsSync(p));
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
  const rows: ResultRow[] = [
    {
      section: SECTION, figure: 'client: createSyncClient (brotli)', value: kb(clientBr), unit: 'KB',
      note: `import { createSyncClient } from '${entry.from}', tree-shaken, minified → ${describe(clientChunks)}`,
    },
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
  // For reference: the whole entry with every export kept (no tree-shaking).
  const index = join(options.root, 'src/index.ts');
  if (existsSync(index)) {
    const whole = await measureEntry(index, options.root);
    const wholeBr = whole.chunks.filter((c) => !isWorkerChunk(c)).reduce((s, c) => s + c.brotli, 0);
    rows.push({
      section: SECTION, figure: 'src/index.ts, every export kept', value: kb(wholeBr), unit: 'KB',
      note: 'the package entry with nothing tree-shaken (store, engine, transports, protocol, clock): what a bundler that cannot shake pays on the main thread; not part of the target',
    });
  }
  return rows;
}
