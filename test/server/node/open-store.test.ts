/**
 * The command loads a store's driver only when that store is chosen, and a driver that
 * is not installed is named with the command that installs it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/server/cli.ts';
import { openStore, STORE_ENTRIES, type StoreEntries } from '../../../src/server/node/open-store.ts';

/** What Node's ESM loader throws for a package that is not installed. */
function notInstalled(name: string): Error {
  return Object.assign(new Error(`Cannot find package '${name}' imported from /app/node_modules/pulsesync/dist/server/sqlite.js`), { code: 'ERR_MODULE_NOT_FOUND' });
}

/** Entries that fail to load as `failure` says; the other one must not be loaded at all. */
function failingEntries(failure: { sqlite?: Error; postgres?: Error }): StoreEntries {
  const fail = (error: Error | undefined) => async (): Promise<never> => {
    throw error ?? new Error('this entry should not have been loaded');
  };
  return { sqlite: fail(failure.sqlite), postgres: fail(failure.postgres) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('opening the chosen store', () => {
  it('names a missing better-sqlite3 with the command that installs it', async () => {
    const error = await openStore({ kind: 'sqlite', path: 'x.db' }, failingEntries({ sqlite: notInstalled('better-sqlite3') })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SyncError', code: 'INVALID_CONFIG', details: { missingPackage: 'better-sqlite3' } });
    expect((error as Error).message).toContain('install it: npm install better-sqlite3');
  });

  it('names a missing pg the same way, as require() reports it too', async () => {
    const requireError = Object.assign(new Error("Cannot find module 'pg'\nRequire stack:\n- /app/x.js"), { code: 'MODULE_NOT_FOUND' });
    const error = await openStore({ kind: 'postgres', url: 'postgres://db/x' }, failingEntries({ postgres: requireError })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', details: { missingPackage: 'pg' } });
    expect((error as Error).message).toContain('install it: npm install pg');
  });

  it('passes on a failure that is not the driver missing, unchanged', async () => {
    const broken = Object.assign(new Error("Cannot find module '/app/node_modules/better-sqlite3/lib/index.js'"), { code: 'MODULE_NOT_FOUND' });
    const error = await openStore({ kind: 'sqlite', path: 'x.db' }, failingEntries({ sqlite: broken })).catch((e: unknown) => e);
    expect(error).toBe(broken);
  });

  it('opens a real SQLite store through its entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsesync-open-'));
    try {
      const store = await openStore({ kind: 'sqlite', path: join(dir, 'a.db') }, STORE_ENTRIES);
      expect(store.kind).toBe('sqlite');
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes the command exit 1 with that message, before it listens', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const code = await main(['--db', 'never-created.db', '--token', 'a-long-enough-token-0123'], {}, failingEntries({ sqlite: notInstalled('better-sqlite3') }));
    expect(code).toBe(1);
    expect(stderr.mock.calls.map(([text]) => String(text)).join('')).toContain('cannot open sqlite never-created.db: The SQLite store needs the better-sqlite3 package, which is not installed; install it: npm install better-sqlite3');
    expect(stdout).not.toHaveBeenCalled();
  });
});
