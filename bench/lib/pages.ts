/**
 * Builds the bench pages (bench/pages/) with Vite — a production build, minified, as an
 * app would ship them — and serves the result with Vite's preview server on 127.0.0.1.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, preview, type PreviewServer } from 'vite';

const ROOT = fileURLToPath(new URL('../pages/', import.meta.url));
const OUT = fileURLToPath(new URL('../../bench-output/pages/', import.meta.url));

/** The served pages: their base URL and how to stop the server. */
export interface BenchPages {
  readonly url: string;
  close(): Promise<void>;
}

/** The pages: `index.html` (IndexedDB limits) and, once it exists, `sdk.html` (the SDK). */
function pageInputs(): Record<string, string> {
  const inputs: Record<string, string> = { index: `${ROOT}index.html` };
  if (existsSync(`${ROOT}sdk.html`)) inputs['sdk'] = `${ROOT}sdk.html`;
  if (existsSync(`${ROOT}query.html`)) inputs['query'] = `${ROOT}query.html`;
  return inputs;
}

/** Builds and serves the bench pages. */
export async function serveBenchPages(): Promise<BenchPages> {
  await build({
    root: ROOT,
    configFile: false,
    logLevel: 'error',
    build: { outDir: OUT, emptyOutDir: true, minify: true, target: 'es2022', rollupOptions: { input: pageInputs() } },
    worker: { format: 'es' },
  });
  const server: PreviewServer = await preview({
    root: ROOT,
    configFile: false,
    logLevel: 'error',
    build: { outDir: OUT },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const address = server.httpServer.address();
  if (address === null || typeof address === 'string') throw new Error('preview server has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () => server.close(),
  };
}
