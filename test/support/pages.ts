/**
 * The browser test pages (test/browser/pages/*.html), built with Vite's JS API — the
 * worker bundled as an app would ship it — and served from 127.0.0.1. A build is
 * cached under `.tmp/browser-pages/<hash of its inputs>`, so the test files of one run
 * (and later runs with unchanged sources) share it; two test files building at once
 * each build into a private folder and the first rename wins.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { inputsHash } from './inputs-hash.ts';
import { serveStaticFiles } from './static-files.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGES = join(ROOT, 'test/browser/pages');
const CACHE = join(ROOT, '.tmp/browser-pages');
/** What a page build depends on: the pages, the SDK sources, the package manifest. */
const INPUTS = ['test/browser/pages', 'src', 'worker', 'package.json'];

/** Served test pages. */
export interface TestPages {
  /** Base URL, ending in `/`; a page is `${url}client.html`. */
  readonly url: string;
  /** The build folder being served. */
  readonly dir: string;
  close(): Promise<void>;
}

/** Every `*.html` in test/browser/pages, keyed by its name without `.html`. */
function pageInputs(): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const name of readdirSync(PAGES)) {
    if (name.endsWith('.html')) inputs[name.slice(0, -'.html'.length)] = join(PAGES, name);
  }
  if (Object.keys(inputs).length === 0) throw new Error(`no test pages (*.html) in ${PAGES}`);
  return inputs;
}

/** Removes builds of older inputs (and abandoned partial builds) more than an hour old. */
function pruneOldBuilds(keep: string): void {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of readdirSync(CACHE)) {
    const path = join(CACHE, name);
    if (path !== keep && statSync(path).mtimeMs < hourAgo) rmSync(path, { recursive: true, force: true });
  }
}

/** Builds the pages unless a build of the same inputs is cached; returns its folder. */
export async function buildTestPages(): Promise<string> {
  const dir = join(CACHE, inputsHash(ROOT, INPUTS));
  if (existsSync(join(dir, '.complete'))) return dir;
  mkdirSync(CACHE, { recursive: true });
  const partial = `${dir}.partial-${process.pid}-${Date.now()}`;
  try {
    await build({
      root: PAGES,
      configFile: false,
      logLevel: 'warn',
      // Readable stack traces beat bytes here; the bench measures the minified build.
      build: { outDir: partial, emptyOutDir: true, minify: false, sourcemap: true, target: 'es2022', rollupOptions: { input: pageInputs() } },
      worker: { format: 'es' },
    });
    mkdirSync(join(partial, '.complete'));
    renameSync(partial, dir);
    pruneOldBuilds(dir);
  } catch (error) {
    // Another test file finished the same build first: use theirs.
    if (!existsSync(join(dir, '.complete'))) throw error;
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return dir;
}

/** Builds (or reuses) the pages and serves them on 127.0.0.1 at a free port. */
export async function serveTestPages(): Promise<TestPages> {
  const dir = await buildTestPages();
  const files = await serveStaticFiles(dir);
  return { url: files.url, dir, close: () => files.close() };
}
