/**
 * The bytes a browser app pays for pulsesync: an entry built with Vite as an ES module
 * with its exports kept, every dependency bundled, minified, each emitted JS chunk measured raw,
 * gzip and brotli (quality 11, as a CDN would serve it).
 */
import { existsSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build, type Rolldown } from 'vite';

/** One emitted JS chunk and its sizes in bytes. */
export interface ChunkSize {
  readonly fileName: string;
  readonly raw: number;
  readonly gzip: number;
  readonly brotli: number;
}

/** Sizes of what one entry emits: its own chunk(s) and any worker chunks it spawns. */
export interface EntrySize {
  readonly entry: string;
  readonly chunks: readonly ChunkSize[];
  readonly brotli: number;
  readonly raw: number;
}

function sizeOf(fileName: string, code: string): ChunkSize {
  const bytes = Buffer.from(code);
  return {
    fileName,
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }).length,
  };
}

/**
 * Builds `entry` (a path) as an ES module with everything bundled and minified, in
 * memory (`write: false`), and measures every JS file it emits. Worker scripts started
 * with `new Worker(new URL(…, import.meta.url))` come out as their own chunks.
 */
export async function measureEntry(entry: string, root: string): Promise<EntrySize> {
  if (!existsSync(entry)) throw new Error(`entry not found: ${entry}`);
  const output = (await build({
    root,
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: true,
      target: 'es2022',
      sourcemap: false,
      modulePreload: false,
      // Not `build.lib`: Vite keeps whitespace in ES library output; an app build of
      // the entry with its exports preserved is minified the way an app would ship it.
      rollupOptions: {
        input: { entry },
        preserveEntrySignatures: 'strict',
        output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name].js' },
      },
    },
    worker: { format: 'es' },
  })) as Rolldown.RolldownOutput | Rolldown.RolldownOutput[];
  const outputs = Array.isArray(output) ? output : [output];
  const chunks: ChunkSize[] = [];
  for (const out of outputs) {
    for (const item of out.output) {
      if (item.type === 'chunk') chunks.push(sizeOf(item.fileName, item.code));
      else if (item.fileName.endsWith('.js') && typeof item.source === 'string') chunks.push(sizeOf(item.fileName, item.source));
      else if (item.fileName.endsWith('.js')) chunks.push(sizeOf(item.fileName, Buffer.from(item.source).toString('utf8')));
    }
  }
  return {
    entry,
    chunks,
    brotli: chunks.reduce((sum, c) => sum + c.brotli, 0),
    raw: chunks.reduce((sum, c) => sum + c.raw, 0),
  };
}
