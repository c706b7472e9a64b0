/**
 * A throwaway app folder that installs the pulsesync tarball from scratch (its
 * dependencies come from the npm registry), measured as a browser-only app would see
 * its install. The consumer test then adds what server and TypeScript users add.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './packed-package.ts';

export const run = promisify(execFile);

/** What installing the tarball into an empty app cost. */
export interface InstallFigures {
  /** Installed packages, pulsesync included. */
  readonly packages: number;
  /** Size of node_modules on disk. */
  readonly megabytes: number;
  /** Wall time of `npm install <tarball>`. */
  readonly seconds: number;
  /** Top-level package names in node_modules. */
  readonly names: readonly string[];
  /** Native addons found in node_modules (`*.node`): a browser app should have none. */
  readonly nativeAddons: readonly string[];
}

/** An app folder with pulsesync installed. */
export interface ConsumerProject {
  readonly dir: string;
  /** The installed package (`node_modules/pulsesync`). */
  readonly packageDir: string;
  readonly install: InstallFigures;
  /** Copies a fixture folder (test/consumers/fixtures/NAME) into the app as `as`. */
  addFixture(name: string, as?: string): string;
  /**
   * Links packages from this repository's node_modules into the app: the SQLite driver
   * (a native build of ~50 s from the registry) and type packages. What a server or
   * TypeScript user installs beside pulsesync.
   */
  linkFromRepository(names: readonly string[]): void;
  remove(): void;
}

function walk(dir: string, visit: (path: string, isDir: boolean) => void): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    visit(path, entry.isDirectory());
    if (entry.isDirectory()) walk(path, visit);
  }
}

function measure(nodeModules: string, seconds: number): InstallFigures {
  let bytes = 0;
  let packages = 0;
  const nativeAddons: string[] = [];
  walk(nodeModules, (path, isDir) => {
    if (isDir) return;
    bytes += statSync(path).size;
    if (path.endsWith('/package.json') && /node_modules\/(@[^/]+\/)?[^/@]+\/package\.json$/.test(path)) packages++;
    if (path.endsWith('.node')) nativeAddons.push(path.slice(nodeModules.length + 1));
  });
  const names: string[] = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) for (const scoped of readdirSync(join(nodeModules, entry))) names.push(`${entry}/${scoped}`);
    else names.push(entry);
  }
  return { packages, megabytes: bytes / 1024 / 1024, seconds, names: names.sort(), nativeAddons };
}

/** Creates an empty ESM app in a temp folder and installs `tarball` into it. */
export async function createConsumerProject(tarball: string): Promise<ConsumerProject> {
  const dir = mkdtempSync(join(tmpdir(), 'pulsesync-consumer-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'pulsesync-consumer', private: true, type: 'module' }, null, 2));
  const started = performance.now();
  try {
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: dir, timeout: 240_000 });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const seconds = (performance.now() - started) / 1000;
  const nodeModules = join(dir, 'node_modules');
  return {
    dir,
    packageDir: join(nodeModules, 'pulsesync'),
    install: measure(nodeModules, seconds),
    addFixture(name, as = name) {
      const target = join(dir, as);
      cpSync(join(ROOT, 'test/consumers/fixtures', name), target, { recursive: true });
      return target;
    },
    linkFromRepository(names) {
      for (const name of names) {
        const link = join(nodeModules, name);
        mkdirSync(dirname(link), { recursive: true });
        rmSync(link, { recursive: true, force: true });
        symlinkSync(join(ROOT, 'node_modules', name), link, 'dir');
      }
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
