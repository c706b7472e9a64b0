/**
 * Builds the bench page (bench/pages/) with Vite — a production build, minified, as an
 * app would ship it — and serves it with Vite's preview server on 127.0.0.1. For a CPU
 * profile it is built unminified with source maps instead, so the profile names
 * functions and maps them back to source lines.
 */
import { fileURLToPath } from 'node:url';
import { build, preview, type PreviewServer } from 'vite';

const ROOT = fileURLToPath(new URL('../pages/', import.meta.url));

/** The served page: its base URL, where the build is on disk, and how to stop serving. */
export interface BenchPages {
  readonly url: string;
  readonly outDir: string;
  /** The page sources' directory (bench/pages/). */
  readonly sourceDir: string;
  close(): Promise<void>;
}

/** Builds and serves the bench page; `forProfile` builds it unminified with source maps. */
export async function serveBenchPages(forProfile = false): Promise<BenchPages> {
  const outDir = fileURLToPath(new URL(forProfile ? '../../bench-output/pages-profile/' : '../../bench-output/pages/', import.meta.url));
  await build({
    root: ROOT,
    configFile: false,
    logLevel: 'error',
    build: { outDir, emptyOutDir: true, minify: !forProfile, sourcemap: forProfile, target: 'es2022', rollupOptions: { input: { index: `${ROOT}index.html`, query: `${ROOT}query.html` } } },
    worker: { format: 'es' },
  });
  const server: PreviewServer = await preview({
    root: ROOT,
    configFile: false,
    logLevel: 'error',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const address = server.httpServer.address();
  if (address === null || typeof address === 'string') throw new Error('preview server has no port');
  return { url: `http://127.0.0.1:${address.port}/`, outDir, sourceDir: ROOT, close: () => server.close() };
}
