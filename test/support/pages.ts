/**
 * Browser test pages built with Vite's JS API — the worker bundled as an app would ship
 * it — and served from 127.0.0.1: the pages of test/browser/pages/*.html, and other
 * page sets (the contract pages) described by a {@link PageSet}. A build is cached
 * under `.tmp/<set>/<hash of its inputs>`, so the test files of one run (and later
 * runs with unchanged sources) share it; two test files building at once each build
 * into a private folder and the first rename wins.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { inputsHash } from './inputs-hash.ts';
import { serveStaticFiles } from './static-files.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A folder of `*.html` pages built together. Paths are relative to the repository root. */
export interface PageSet {
  /** Names the cache folder, `.tmp/<name>`. */
  readonly name: string;
  /** The folder holding the pages. */
  readonly root: string;
  /** What a build depends on: files or folders whose change means a new build. */
  readonly inputs: readonly string[];
  /** Import aliases of the build, bare specifier → path relative to the root. */
  readonly alias?: Readonly<Record<string, string>>;
}

/** The pages of test/browser/: they depend on the pages, the SDK sources, the package manifest. */
export const BROWSER_TEST_PAGES: PageSet = {
  name: 'browser-pages',
  root: 'test/browser/pages',
  inputs: ['test/browser/pages', 'src', 'worker', 'package.json'],
};

/** Served test pages. */
export interface TestPages {
  /** Base URL, ending in `/`; a page is `${url}client.html`. */
  readonly url: string;
  /** The build folder being served. */
  readonly dir: string;
  close(): Promise<void>;
}

/** Every `*.html` in `pages`, keyed by its name without `.html`. */
function pageInputs(pages: string): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const name of readdirSync(pages)) {
    if (name.endsWith('.html')) inputs[name.slice(0, -'.html'.length)] = join(pages, name);
  }
  if (Object.keys(inputs).length === 0) throw new Error(`no test pages (*.html) in ${pages}`);
  return inputs;
}

/** Removes builds of older inputs (and abandoned partial builds) more than an hour old. */
function pruneOldBuilds(cache: string, keep: string): void {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of readdirSync(cache)) {
    const path = join(cache, name);
    if (path !== keep && statSync(path).mtimeMs < hourAgo) rmSync(path, { recursive: true, force: true });
  }
}

/** Builds the pages of `set` unless a build of the same inputs is cached; returns its folder. */
export async function buildTestPages(set: PageSet = BROWSER_TEST_PAGES): Promise<string> {
  const cache = join(ROOT, '.tmp', set.name);
  const pages = join(ROOT, set.root);
  const dir = join(cache, inputsHash(ROOT, set.inputs));
  if (existsSync(join(dir, '.complete'))) return dir;
  mkdirSync(cache, { recursive: true });
  const partial = `${dir}.partial-${process.pid}-${Date.now()}`;
  const alias = Object.fromEntries(Object.entries(set.alias ?? {}).map(([name, path]) => [name, join(ROOT, path)]));
  try {
    await build({
      root: pages,
      configFile: false,
      logLevel: 'warn',
      resolve: { alias },
      // Readable stack traces beat bytes here; the bench measures the minified build.
      build: { outDir: partial, emptyOutDir: true, minify: false, sourcemap: true, target: 'es2022', rollupOptions: { input: pageInputs(pages) } },
      worker: { format: 'es' },
    });
    mkdirSync(join(partial, '.complete'));
    renameSync(partial, dir);
    pruneOldBuilds(cache, dir);
  } catch (error) {
    // Another test file finished the same build first: use theirs.
    if (!existsSync(join(dir, '.complete'))) throw error;
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return dir;
}

/** Builds (or reuses) the pages of `set` and serves them on 127.0.0.1 at a free port. */
export async function serveTestPages(set: PageSet = BROWSER_TEST_PAGES): Promise<TestPages> {
  const dir = await buildTestPages(set);
  const files = await serveStaticFiles(dir);
  return { url: files.url, dir, close: () => files.close() };
}
