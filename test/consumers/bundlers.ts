/**
 * The same app folder built by each bundler the README documents, the way an app's
 * build would do it. Each writes `<app>/dist` with an index.html and returns it.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build as esbuild } from 'esbuild';
import { build as viteBuild, createServer as createViteServer } from 'vite';
import webpack from 'webpack';

/** Vite with no configuration at all: it follows `new Worker(new URL(…))` by itself. */
export async function buildWithVite(app: string): Promise<string> {
  const out = join(app, 'dist');
  await viteBuild({ root: app, configFile: false, envDir: false, logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
  return out;
}

/** Vite's dev server on 127.0.0.1, no configuration either (dependencies pre-bundled). */
export async function serveWithViteDev(app: string): Promise<{ readonly url: string; close(): Promise<void> }> {
  const server = await createViteServer({
    root: app,
    configFile: false,
    envDir: false,
    logLevel: 'warn',
    cacheDir: join(app, '.vite-cache'),
    server: { host: '127.0.0.1', port: 0, hmr: false, watch: null },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (address === null || address === undefined || typeof address === 'string') {
    await server.close();
    throw new Error('the Vite dev server has no port');
  }
  return { url: `http://127.0.0.1:${address.port}/`, close: () => server.close() };
}

/** webpack 5 in production mode; it follows `new Worker(new URL(…))` by itself too. */
export async function buildWithWebpack(app: string): Promise<string> {
  const out = join(app, 'dist');
  const compiler = webpack({
    mode: 'production',
    context: app,
    entry: './main.js',
    output: { path: out, filename: 'main.js', clean: true },
    devtool: false,
    performance: { hints: false },
  });
  const stats = await new Promise<webpack.Stats | undefined>((resolve, reject) => {
    compiler.run((error, result) => (error ? reject(error) : resolve(result)));
  });
  await new Promise<void>((resolve) => compiler.close(() => resolve()));
  if (stats === undefined || stats.hasErrors()) throw new Error(`webpack failed:\n${stats?.toString('errors-only') ?? 'no stats'}`);
  // A classic script, as html-webpack-plugin writes it: webpack's automatic publicPath
  // reads document.currentScript, which module scripts do not set.
  writeFileSync(join(out, 'index.html'), readFileSync(join(app, 'index.html'), 'utf8').replace('type="module" src="./main.js"', 'defer src="./main.js"'));
  return out;
}

/**
 * esbuild bundles the page; it does not follow `new Worker(new URL(…))`, so the build
 * copies pulsesync's prebuilt worker next to the bundle, where
 * `new URL('./pulsesync-worker.js', import.meta.url)` finds it (the README's setup).
 */
export async function buildWithEsbuild(app: string): Promise<string> {
  const out = join(app, 'dist');
  mkdirSync(out, { recursive: true });
  await esbuild({ entryPoints: [join(app, 'main.js')], bundle: true, format: 'esm', minify: true, outdir: out, absWorkingDir: app, logLevel: 'warning' });
  const resolveFromApp = createRequire(join(app, 'package.json')).resolve;
  copyFileSync(resolveFromApp('pulsesync/pulsesync-worker.js'), join(out, 'pulsesync-worker.js'));
  copyFileSync(join(app, 'index.html'), join(out, 'index.html'));
  return out;
}

/** The JavaScript files a build emitted (names only), anywhere under `out`. */
export function emittedScripts(out: string): string[] {
  return readdirSync(out, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .map((entry) => entry.name)
    .sort();
}
