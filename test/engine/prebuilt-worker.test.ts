/**
 * The prebuilt workers leave out the code that asks a conflict resolver (none can reach
 * them: see src/engine/prebuilt-worker.ts); an app's own worker module keeps it.
 */
import { build } from 'esbuild';
import { minify } from 'terser';
import { describe, expect, it } from 'vitest';

/** The default worker bundled and squeezed as scripts/build.ts does, with or without its define. */
async function bundle(prebuilt: boolean): Promise<string> {
  const result = await build({
    entryPoints: ['worker/default-worker.ts'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    ...(prebuilt ? { define: { PULSESYNC_PREBUILT_WORKER: 'true' } } : {}),
  });
  const squeezed = await minify(result.outputFiles[0]?.text ?? '', { module: true, ecma: 2020, compress: { passes: 2, pure_getters: true, hoist_funs: true }, mangle: true });
  return squeezed.code ?? '';
}

describe('the prebuilt worker and conflict resolvers', () => {
  it('leaves out the resolver code in the prebuilt build, and keeps it anywhere else', async () => {
    const [prebuilt, own] = await Promise.all([bundle(true), bundle(false)]);
    const resolverMessage = 'The conflict resolver threw';
    expect(own.includes(resolverMessage)).toBe(true);
    expect(prebuilt.includes(resolverMessage)).toBe(false);
    // The policy's own conflict reasons stay in both.
    expect(prebuilt.includes('last-write-wins kept the server')).toBe(true);
  }, 60_000);
});
