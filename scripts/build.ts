/**
 * `npm run build`: writes dist/, what the package ships.
 *   1. tsc -p tsconfig.build.json: ESM JavaScript, declarations and source maps of every
 *      module, so each entry is plain JS with types (a consumer's tsc never sees our .ts).
 *   2. Declarations import `./x.js`, not `./x.ts`: tsc rewrites the specifiers of the
 *      JavaScript (rewriteRelativeImportExtensions) but leaves the declarations' as
 *      written, which `moduleResolution: node16` consumers and older tools refuse.
 *   3. The prebuilt workers, each bundled by esbuild and squeezed by terser into one
 *      self-contained ESM file where the client looks for it (page and worker speak
 *      Comlink's protocol without the package: src/worker-api/wire.ts), with a
 *      declaration saying it is a script, not a module (the files are exported for
 *      bundlers that need to copy them): the default, worker/default-worker.ts →
 *      `dist/src/client/pulsesync-worker.js`, and the one with collections (declared
 *      indexes, queries, live queries), worker/collections-worker.ts →
 *      `dist/src/client/pulsesync-worker-collections.js`, started only for apps that
 *      declare collections.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { minify } from 'terser';
import { PACKAGE_VERSION } from '../src/package-version.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
/** Where with-default-worker.ts looks: `new URL('./pulsesync-worker.js', import.meta.url)`. */
export const WORKER_FILE = join(DIST, 'src/client/pulsesync-worker.js');
/** Where with-collections-worker.ts looks: `new URL('./pulsesync-worker-collections.js', import.meta.url)`. */
export const COLLECTIONS_WORKER_FILE = join(DIST, 'src/client/pulsesync-worker-collections.js');

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
if (manifest.version !== PACKAGE_VERSION) {
  throw new Error(`src/package-version.ts says ${PACKAGE_VERSION}, package.json ${manifest.version}: run \`npx tsx scripts/write-version.ts\``);
}

const started = performance.now();
rmSync(DIST, { recursive: true, force: true });

const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

/** `from './x.ts'` and `import('./x.ts')` in declarations → `.js`. */
const TS_SPECIFIER = /((?:from\s+|import\s*\(\s*)['"])(\.{1,2}\/[^'"]+?)\.ts(['"])/g;
for (const entry of readdirSync(DIST, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  const rewritten = text.replace(TS_SPECIFIER, '$1$2.js$3');
  if (rewritten !== text) writeFileSync(file, rewritten);
}

// esbuild bundles (and minifies, so terser starts from a small input); terser then
// squeezes what esbuild leaves (two passes): ~3.5% of the worker's brotli bytes,
// which is what keeps client + worker inside the 25 KB budget (.size-limit.js).
/** Bundles worker `entry` into `file`; `what` says what it is in the file's declaration; `collections`: whether it is given them; `define`: more build-time switches. */
async function buildWorker(entry: string, file: string, what: string, collections: boolean, define: Record<string, string> = {}): Promise<void> {
  const name = basename(file);
  const bundled = await build({
    entryPoints: [join(ROOT, entry)],
    outfile: file,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'external',
    sourcesContent: true,
    // A bundled package's licence would go to <worker>.js.LEGAL.txt beside the worker
    // (linked from it) rather than into every download of the worker.
    legalComments: 'linked',
    // Only the prebuilt workers: no conflict resolver can reach them, and the code that
    // asks one is left out (see src/engine/prebuilt-worker.ts).
    // PULSESYNC_WORKER_COLLECTIONS: whether the worker is given collections (the
    // default worker is not: what reaches them is left out of it). Field-level records
    // are left out of the default worker likewise (see `FIELDS_BUILT`).
    define: { PULSESYNC_PREBUILT_WORKER: 'true', PULSESYNC_WORKER_COLLECTIONS: String(collections), ...define },
    logLevel: 'warning',
    write: false,
  });
  const bundledCode = bundled.outputFiles.find((output) => output.path === file)?.text;
  const bundledMap = bundled.outputFiles.find((output) => output.path === `${file}.map`)?.text;
  if (bundledCode === undefined || bundledMap === undefined) throw new Error(`build: esbuild wrote no bundle of ${entry}`);
  const squeezed = await minify(bundledCode, {
    module: true,
    ecma: 2020,
    // hoist_funs: function declarations to the top of their scope (semantics kept), which
    // lets brotli see more of them alike: −0.8% of the worker. Three passes with
    // statements left apart (sequences off: no comma-joined statements): on the worker as
    // it is since the client reset came in, −57 B brotli against two passes with
    // sequences (two passes had been ~25–40 B better on average over mangled-name
    // variations before it; these choices move with the code, so re-measure them with
    // .tmp-style variant runs when the worker changes much). Only ever optimisations
    // turned on or off: no `unsafe` option, no booleans as integers (they would reach the
    // wire and the page as 0 and 1).
    compress: { passes: 3, sequences: false, pure_getters: true, hoist_funs: true },
    mangle: true,
    format: { comments: /^!|@license|@preserve|LEGAL/ },
    sourceMap: { content: bundledMap, url: `${name}.map`, includeSources: true },
  });
  if (squeezed.code === undefined || typeof squeezed.map !== 'string') throw new Error(`build: terser gave no ${name}`);
  writeFileSync(file, squeezed.code);
  for (const output of bundled.outputFiles) if (output.path.endsWith('.LEGAL.txt')) writeFileSync(output.path, output.contents);
  writeFileSync(`${file}.map`, squeezed.map);
  // The worker file is exported (`pulsesync/<name>`) so build scripts can find and copy
  // it; it is a script to start, not a module to import, and says so to types.
  writeFileSync(
    file.replace(/\.js$/, '.d.ts'),
    `/** pulsesync's prebuilt ${what}: start it with \`new Worker(url, { type: 'module' })\`; importing it gives nothing. */\nexport {};\n`,
  );
}

// The default worker never has field-level records (opt-in, in the collections worker):
// it is built without the code that would reach them (`FIELDS_BUILT` in field-seam.ts).
await buildWorker('worker/default-worker.ts', WORKER_FILE, 'sync worker', false, { 'globalThis.PULSESYNC_FIELDS': 'false' });
await buildWorker('worker/collections-worker.ts', COLLECTIONS_WORKER_FILE, 'sync worker with collections (declared indexes, queries, live queries)', true);

console.log(`build: dist/ written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
