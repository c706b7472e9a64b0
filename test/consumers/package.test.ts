/**
 * The tarball itself: what it holds, what the package linters say of it, what a page
 * pays for it, and whether its public API is the reviewed one.
 */
import { runSizeLimit, sizeReport } from '../../scripts/worker-size.ts';
import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiReports, reportFileName, staleReports } from '../../scripts/api-report.ts';
import { packedPackage, ROOT, type PackedPackage } from './packed-package.ts';

const run = promisify(execFile);

let packed: PackedPackage;

beforeAll(async () => {
  packed = await packedPackage();
}, 300_000);

describe('the pulsesync tarball', () => {
  it('holds dist/, bin/, README, LICENSE and package.json, and nothing else', () => {
    const tops = new Set(packed.files.map((path) => path.split('/')[0]));
    expect([...tops].sort()).toEqual(['LICENSE', 'README.md', 'bin', 'dist', 'package.json']);
    // Every entry ships JavaScript, its declarations and a source map; no TypeScript source.
    expect(packed.files.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(packed.dir, 'package.json'), 'utf8')) as {
      exports: Record<string, string | Record<string, string>>;
    };
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (typeof target === 'string') continue;
      const js = (target['import'] ?? target['default'] ?? '').slice(2);
      expect(packed.files, subpath).toContain(js);
      expect(packed.files, subpath).toContain(`${js}.map`);
      expect(packed.files, subpath).toContain((target['types'] ?? '').slice(2));
    }
    console.log(`tarball: ${packed.files.length} files`);
  });

  it('passes publint with nothing to report but suggestions', async () => {
    const tarball = readFileSync(packed.tarball);
    const pkg = JSON.parse(readFileSync(join(packed.dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const { messages } = await publint({ pack: { tarball: new Uint8Array(tarball).buffer }, level: 'suggestion' });
    const lines = messages.map((message) => `${message.type}: ${formatMessage(message, pkg) ?? message.code}`);
    if (lines.length > 0) console.log(`publint:\n${lines.join('\n')}`);
    expect(messages.filter((message) => message.type !== 'suggestion').map((m) => m.code)).toEqual([]);
  });

  it('passes @arethetypeswrong/cli for ESM resolution (node16 from ESM, bundler)', async () => {
    // The package is ESM only. Node >= 20.19 require()s it (the consumer test proves it);
    // TypeScript's node10 resolution (no `exports`) and node16-from-CJS are out of scope,
    // which is what attw's `esm-only` profile says.
    const attw = join(ROOT, 'node_modules/@arethetypeswrong/cli/dist/index.js');
    const result = await run(process.execPath, [attw, packed.tarball, '--profile', 'esm-only', '--format', 'table-flipped', '--no-color'], {
      timeout: 120_000,
    }).catch((error: { stdout?: string; code?: number }) => ({ stdout: `${error.stdout ?? ''}\nexit code ${error.code}`, failed: true }));
    expect('failed' in result ? result.stdout : '').toBe('');
  });

  it('keeps the sync path under its budget (client + worker ≤ 25 KB brotli) and collections and React under their guards', () => {
    // Measured on the unpacked tarball: what an app installs. Its imports (idb, valibot,
    // react) resolve from this repository's node_modules, as in an app.
    copyFileSync(join(ROOT, '.size-limit.js'), join(packed.dir, '.size-limit.js'));
    const { checks, stderr } = runSizeLimit(packed.dir, join(ROOT, 'node_modules/size-limit/bin.js'));
    expect(checks, `size-limit failed: ${stderr}`).not.toEqual([]);
    const report = sizeReport(packed.dir, checks);
    console.log(report.lines.join('\n'));
    expect(report.over).toEqual([]);
  }, 150_000);

  it('exports exactly the reviewed public API (api/*.api.md)', () => {
    const reports = apiReports(packed.dir);
    const stale = staleReports(reports);
    const hint = stale.map((entry) => `api/${reportFileName(entry)}`).join(', ');
    expect(stale, `the API differs from ${hint}: if on purpose, npm run build && npm run api:update, and review the diff`).toEqual([]);
  }, 60_000);
});
