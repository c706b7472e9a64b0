/**
 * The package as users get it: `npm pack` of this tree (its prepack script runs
 * `npm run build`), and the tarball unpacked beside it. Done once per set of inputs and
 * kept under `.tmp/consumers/<hash>`, so the test files of one run (and later runs with
 * unchanged sources) share it. The build writes the repository's dist/, so one process
 * at a time packs: the others wait on a lock directory.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inputsHash } from '../support/inputs-hash.ts';

const run = promisify(execFile);

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(ROOT, '.tmp/consumers');
/** What a pack depends on. */
const INPUTS = ['src', 'worker', 'bin', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE'];
/** A build plus pack takes ~20 s alone; under a loaded machine give it far more. */
const PACK_TIMEOUT_MS = 240_000;

/** A packed and unpacked pulsesync. */
export interface PackedPackage {
  /** The `.tgz` file. */
  readonly tarball: string;
  /** The unpacked tarball (its `package/` folder). */
  readonly dir: string;
  /** Every path in the tarball, relative to `package/`. */
  readonly files: readonly string[];
}

function readPacked(dir: string): PackedPackage | undefined {
  const done = join(dir, 'done.json');
  if (!existsSync(done)) return undefined;
  return JSON.parse(readFileSync(done, 'utf8')) as PackedPackage;
}

async function pack(dir: string): Promise<PackedPackage> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: ROOT,
    timeout: PACK_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
  // prepack's build prints before npm's JSON; the JSON is the last thing printed.
  const json = stdout.slice(stdout.lastIndexOf('\n[') + 1);
  const [info] = JSON.parse(json) as [{ filename: string; files: { path: string }[] }];
  const tarball = join(dir, info.filename);
  await run('tar', ['-xzf', tarball, '-C', dir], { timeout: 60_000 });
  const packed: PackedPackage = { tarball, dir: join(dir, 'package'), files: info.files.map((f) => f.path).sort() };
  writeFileSync(join(dir, 'done.json'), JSON.stringify(packed));
  return packed;
}

/** Removes packs of older inputs, more than an hour old. */
function removeOldPacks(keep: string): void {
  for (const entry of readdirSync(CACHE, { withFileTypes: true })) {
    const path = join(CACHE, entry.name);
    if (entry.isDirectory() && path !== keep && entry.name !== 'pack.lock' && Date.now() - statSync(path).mtimeMs > 3_600_000) {
      rmSync(path, { recursive: true, force: true });
    }
  }
}

/** Packs this tree once per inputs; concurrent callers wait for the one packing. */
export async function packedPackage(): Promise<PackedPackage> {
  const dir = join(CACHE, inputsHash(ROOT, INPUTS));
  const lock = join(CACHE, 'pack.lock');
  const deadline = Date.now() + PACK_TIMEOUT_MS + 30_000;
  mkdirSync(CACHE, { recursive: true });
  for (let round = 0; Date.now() < deadline && round < 100_000; round++) {
    const ready = readPacked(dir);
    if (ready !== undefined) return ready;
    try {
      mkdirSync(lock);
    } catch {
      // Another process packs. A lock older than a pack can take is left over from a crash.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held !== undefined && Date.now() - held.mtimeMs > PACK_TIMEOUT_MS) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    try {
      removeOldPacks(dir);
      return readPacked(dir) ?? (await pack(dir));
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  throw new Error(`no pulsesync tarball within ${(PACK_TIMEOUT_MS + 30_000) / 1000} s (another test process held ${lock})`);
}
