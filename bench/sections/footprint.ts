/**
 * Section 6: the bytes an app pays — the main-thread client entry and the worker
 * bundle, minified and brotli-compressed — against the 25 KB target for both together.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { measureEntry, type ChunkSize } from '../lib/footprint.ts';
import { figureRow, type ReportRow, type SectionReport } from '../lib/report.ts';
import type { Section, SectionContext } from '../lib/section.ts';

const TITLE = '6 Footprint: what an app ships (minified, brotli 11); measured once, it does not vary';
const TARGET_KB = 25;

const kb = (bytes: number): number => bytes / 1024;
const describe = (chunks: readonly ChunkSize[]): string =>
  chunks.map((c) => `${c.fileName}: ${c.raw} B min, ${c.gzip} B gzip, ${c.brotli} B br`).join('; ');

/** Is this emitted chunk a worker script (as Vite names `new Worker(new URL(…))` output)? */
const isWorkerChunk = (c: ChunkSize): boolean => /worker/i.test(c.fileName);

/**
 * What an app's main thread imports: `createSyncClient` from the package as it ships
 * (dist/, after `npm run build`: the client with the prebuilt worker it starts), else
 * from the source entry, tree-shaken as an app build would. Written as a one-line
 * module under bench-output/ so only that export is kept.
 */
function appEntry(root: string): { file: string; from: string } | undefined {
  const shipped = join(root, 'dist/src/index.js');
  const index = join(root, 'src/index.ts');
  const client = join(root, 'src/client/index.ts');
  const from = existsSync(shipped)
    ? shipped
    : existsSync(index) && /createSyncClient|client\/index/.test(readFileSync(index, 'utf8'))
      ? index
      : existsSync(client)
        ? client
        : undefined;
  if (from === undefined) return undefined;
  const dir = join(root, 'bench-output');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'footprint-app-entry.ts');
  writeFileSync(file, `export { createSyncClient } from ${JSON.stringify(from)};\n`);
  return { file, from: from.slice(root.length) };
}

/** Builds and measures the client entry and the worker. */
async function runFootprint(ctx: SectionContext): Promise<SectionReport[]> {
  const entry = appEntry(ctx.root);
  if (entry === undefined) return [{ title: TITLE, rows: [figureRow('client + worker (brotli)', 'not available: no src/client', '')], notes: [] }];
  const client = await measureEntry(entry.file, ctx.root);
  let clientChunks: readonly ChunkSize[] = client.chunks.filter((c) => !isWorkerChunk(c));
  let workerChunks: readonly ChunkSize[] = client.chunks.filter(isWorkerChunk);
  let workerSource = `emitted by createSyncClient's new Worker(new URL(…))`;
  if (workerChunks.length === 0) {
    // The client does not spawn a bundled worker itself: measure the worker entry.
    const workerEntry = ['worker/default-worker.ts', 'worker/index.ts'].map((p) => join(ctx.root, p)).find((p) => existsSync(p));
    if (workerEntry !== undefined) {
      workerChunks = (await measureEntry(workerEntry, ctx.root)).chunks;
      workerSource = workerEntry.slice(ctx.root.length);
    }
  } else {
    clientChunks = clientChunks.length > 0 ? clientChunks : client.chunks;
  }
  const clientBr = clientChunks.reduce((s, c) => s + c.brotli, 0);
  const workerBr = workerChunks.reduce((s, c) => s + c.brotli, 0);
  const rows: ReportRow[] = [
    figureRow('client: createSyncClient (brotli)', kb(clientBr), 'KB'),
    workerChunks.length === 0 ? figureRow('worker (brotli)', 'not available: no worker entry', '') : figureRow('worker (brotli)', kb(workerBr), 'KB'),
    figureRow('client + worker (brotli)', workerChunks.length === 0 ? 'n/a' : kb(clientBr + workerBr), 'KB', { below: TARGET_KB }),
  ];
  const notes = [
    `client: import { createSyncClient } from '${entry.from}', tree-shaken, minified → ${describe(clientChunks)}`,
    `worker: ${workerSource} → ${describe(workerChunks)}`,
  ];
  // For reference: the whole entry with every export kept (no tree-shaking).
  const index = join(ctx.root, 'src/index.ts');
  if (existsSync(index)) {
    const whole = await measureEntry(index, ctx.root);
    rows.push(figureRow('src/index.ts, every export kept', kb(whole.chunks.filter((c) => !isWorkerChunk(c)).reduce((s, c) => s + c.brotli, 0)), 'KB'));
    notes.push('src/index.ts with nothing tree-shaken: what a bundler that cannot shake pays on the main thread; not part of the target');
  }
  return [{ title: TITLE, rows, notes }];
}

/** Section 6. */
export const footprintSection: Section = { key: 'footprint', title: '6 Footprint', minutes: 3, run: runFootprint };
