/**
 * One entry per audience: `pulsesync/server` (rules, fetch handler, Node adapter, memory
 * store) loads no database driver; `pulsesync/server/sqlite` and
 * `pulsesync/server/postgres` each load their own and not the other's. Read from the
 * static import graph, as a bundler or Node would follow it.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const DRIVERS = ['better-sqlite3', 'pg'];

/** The packages (outside this repository) that `entry` imports, directly or through our modules. */
async function packagesImportedBy(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(`../../src/server/${entry}`, import.meta.url))],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  });
  const imported = new Set<string>();
  for (const input of Object.values(result.metafile.inputs)) {
    for (const { path, external } of input.imports) if (external === true) imported.add(path);
  }
  return [...imported].sort();
}

describe('server entries', () => {
  it('pulsesync/server imports no database driver', async () => {
    const imported = await packagesImportedBy('index.ts');
    expect(imported.filter((name) => DRIVERS.includes(name))).toEqual([]);
    expect(imported).toContain('node:http'); // the graph was read: the Node adapter is there
    expect(imported.filter((name) => !name.startsWith('node:'))).toEqual(['valibot']); // no server framework either
  });

  it('pulsesync/server/sqlite imports better-sqlite3 and not pg', async () => {
    expect((await packagesImportedBy('sqlite.ts')).filter((name) => DRIVERS.includes(name))).toEqual(['better-sqlite3']);
  });

  it('pulsesync/server/postgres imports pg and not better-sqlite3', async () => {
    expect((await packagesImportedBy('postgres.ts')).filter((name) => DRIVERS.includes(name))).toEqual(['pg']);
  });
});
