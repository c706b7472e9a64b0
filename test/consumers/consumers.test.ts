/**
 * The consumer matrix: the packed tarball installed into a fresh app folder (its
 * dependencies from the npm registry) and used as users would — plain Node ESM and
 * CommonJS, a strict TypeScript app under `bundler` and `node16` resolution, and the
 * same page built by Vite, webpack 5 and esbuild, running in Chromium and syncing two
 * devices through the package's own `pulsesync-server` command (compiled JS, no tsx).
 * One install serves every consumer.
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type HeadlessChromium } from '../../tools/chromium.ts';
import { startServerProcess, type ServerProcess } from '../../tools/server-process.ts';
import { serveStaticFiles, type StaticFiles } from '../support/static-files.ts';
import { waitFor } from '../support/wait.ts';
import { buildWithEsbuild, buildWithVite, buildWithWebpack, emittedScripts, serveWithViteDev } from './bundlers.ts';
import { createConsumerProject, run, type ConsumerProject } from './consumer-project.ts';
import { packedPackage, ROOT } from './packed-package.ts';

/** What the pages of the fixture apps put on `window`. */
interface DeviceApi {
  ready(): Promise<string>;
  start(): Promise<void>;
  put(id: string, value: unknown): Promise<void>;
  get(id: string): Promise<unknown>;
  /** collections-app and own-worker-app: the ids of the notes `from` wrote, through an index. */
  idsFrom(from: string): Promise<string[]>;
}
declare global {
  interface Window {
    device: DeviceApi;
  }
}

/** How many of `files` are each prebuilt worker (Vite names them `<name>-<hash>.js`). */
function prebuiltWorkers(files: readonly string[]): { core: number; collections: number } {
  const collections = files.filter((file) => file.startsWith('pulsesync-worker-collections')).length;
  return { core: files.filter((file) => file.startsWith('pulsesync-worker')).length - collections, collections };
}

/**
 * What a browser-only app gets: pulsesync and what its page, worker and server entry
 * import (@standard-schema/spec: types only, the interface collections' schemas implement).
 */
const BROWSER_INSTALL = ['@standard-schema/spec', 'idb', 'pulsesync', 'valibot'];
const TOKEN = 'consumer-matrix-token-0123456789';
/** Where a built app is served. */
type Site = Pick<StaticFiles, 'url' | 'close'>;
const NODE_TIMEOUT_MS = 60_000;
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

let project: ConsumerProject;

beforeAll(async () => {
  const packed = await packedPackage();
  project = await createConsumerProject(packed.tarball);
}, 480_000);

afterAll(() => project?.remove());

/** Runs `node args…` in the app folder; resolves with stdout. */
async function node(args: readonly string[]): Promise<string> {
  const { stdout } = await run(process.execPath, args, { cwd: project.dir, timeout: NODE_TIMEOUT_MS }).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`node ${args.join(' ')} failed: ${error.stderr ?? error.message}`);
  });
  return stdout.trim();
}

describe('a browser-only app that installs the tarball', () => {
  it('gets only what the page and the worker need (and the server entry): no drivers, no tsx, no native build', () => {
    const { install } = project;
    console.log(
      `browser-only install: ${install.packages} packages, ${install.megabytes.toFixed(1)} MB, ${install.seconds.toFixed(1)} s (${install.names.join(', ')})`,
    );
    expect(install.names).toEqual(BROWSER_INSTALL);
    expect(install.nativeAddons).toEqual([]);
  });

  it('can import pulsesync/server in plain Node with no database driver and no tsx installed', async () => {
    expect(await node(['-e', "import('pulsesync/server').then(m => console.log(typeof m.createSyncServer))"])).toBe('function');
  });

  it('runs the pulsesync-server command from compiled JS, which names the SQLite driver it misses', async () => {
    const bin = join(project.dir, 'node_modules/.bin/pulsesync-server');
    const result = await run(bin, ['--insecure-no-auth', '--port', '0', '--db', join(project.dir, 'no-driver.db')], {
      cwd: project.dir,
      timeout: NODE_TIMEOUT_MS,
    }).then(
      () => ({ failed: false, stderr: '' }),
      (error: { stderr?: string }) => ({ failed: true, stderr: error.stderr ?? '' }),
    );
    expect(result.failed).toBe(true);
    expect(result.stderr).toMatch(/npm install better-sqlite3/);
    expect(result.stderr).not.toMatch(/tsx/);
  });
});

describe('a server app that adds the SQLite driver', () => {
  beforeAll(() => {
    project.linkFromRepository(['better-sqlite3']);
    project.addFixture('node');
  });

  it('mounts createFetchHandler with pulsesync/server/sqlite in a plain Node ESM script and serves a push and a pull', async () => {
    const output = await node([join('node', 'server.mjs'), join(project.dir, 'node-app.db')]);
    expect(JSON.parse(output)).toEqual({ accepted: true, pushed: 1, pulled: [['n1', { title: 'from node' }]] });
  });

  it('require()s pulsesync/server and pulsesync/server/sqlite from CommonJS', async () => {
    expect(await node([join('node', 'require-server.cjs')])).toBe('function function function');
  });
});

describe('a TypeScript app using every entry under the strictest settings (skipLibCheck: false)', () => {
  beforeAll(() => {
    // vitest: pulsesync/testing's contract suites register vitest tests (an optional peer).
    // @types/react: pulsesync/react's declarations import React's types (an optional peer).
    project.linkFromRepository(['@types/node', '@types/better-sqlite3', '@types/pg', '@types/react', 'vitest']);
    project.addFixture('types');
  });

  it.concurrent.each(['bundler', 'node16'])('type-checks with moduleResolution %s', async (resolution) => {
    const config = join(project.dir, 'types', `tsconfig.${resolution}.json`);
    const result = await run(process.execPath, [TSC, '-p', config], { cwd: project.dir, timeout: 120_000 }).then(
      () => '',
      (error: { stdout?: string; message: string }) => error.stdout || error.message,
    );
    expect(result).toBe('');
  }, 150_000);
});

describe('pages built by each bundler, in Chromium, syncing through the pulsesync-server command', () => {
  let server: ServerProcess;
  let chromium: HeadlessChromium;
  const served: Site[] = [];
  const contexts: BrowserContext[] = [];
  const errors = new Map<Page, string[]>();
  /** The prebuilt worker scripts each page fetched (file names). */
  const workerFetches = new Map<Page, string[]>();

  beforeAll(async () => {
    project.linkFromRepository(['better-sqlite3']);
    // The bin of the installed package: it runs dist/ (the tarball has no src/, so no tsx).
    server = await startServerProcess(project.packageDir, ['--db', join(project.dir, 'sync.db')], TOKEN);
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
    await chromium?.close();
    await Promise.all(served.map((files) => files.close()));
    await server?.stop();
  });

  /** A device: its own browser context (own IndexedDB), the app's page open and connected. */
  async function openDevice(site: Site, name: string): Promise<Page> {
    const context = await chromium.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const seen: string[] = [];
    errors.set(page, seen);
    page.on('pageerror', (error) => seen.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') seen.push(message.text());
    });
    const fetched: string[] = [];
    workerFetches.set(page, fetched);
    page.on('request', (request) => {
      const file = new URL(request.url()).pathname.split('/').at(-1) ?? '';
      if (file.startsWith('pulsesync-worker')) fetched.push(file);
    });
    const query = new URLSearchParams({ name, server: server.url, token: TOKEN });
    await page.goto(`${site.url}index.html?${query}`);
    await page.waitForFunction(() => window.device !== undefined, undefined, { timeout: 20_000 });
    const ready = await page.evaluate(() => window.device.ready());
    expect(ready, `page errors: ${seen.join(' | ')}`).toBe('ready');
    return page;
  }

  async function noteOn(page: Page, id: string): Promise<unknown> {
    return page.evaluate((key) => window.device.get(key), id);
  }

  /** Two devices start, each writes a note, and each sees the other's; returns their pages. */
  async function expectTwoDevicesToSync(out: string | Site, label: string): Promise<[Page, Page]> {
    const site = typeof out === 'string' ? await serveStaticFiles(out) : out;
    served.push(site);
    const [laptop, phone] = await Promise.all([openDevice(site, 'notes'), openDevice(site, 'notes')]);
    await Promise.all([laptop.evaluate(() => window.device.start()), phone.evaluate(() => window.device.start())]);
    await laptop.evaluate((id) => window.device.put(id, { from: 'laptop' }), `${label}-1`);
    await phone.evaluate((id) => window.device.put(id, { from: 'phone' }), `${label}-2`);
    await expectNote(phone, `${label}-1`, 'laptop', [laptop, phone]);
    await expectNote(laptop, `${label}-2`, 'phone', [laptop, phone]);
    return [laptop, phone];
  }

  /** Waits (bounded) until `page` holds note `id` written by `from`; fails with the pages' errors. */
  async function expectNote(page: Page, id: string, from: string, pages: readonly Page[]): Promise<void> {
    try {
      await waitFor(`note ${id} from the ${from}`, () => noteOn(page, id), (value) => JSON.stringify(value) === JSON.stringify({ from }));
    } catch (error) {
      const seen = pages.map((p) => (errors.get(p) ?? []).join(' | ')).join(' / ');
      throw new Error(`${error instanceof Error ? error.message : String(error)}; page errors: ${seen}`);
    }
  }

  it('Vite: `vite build` with no configuration, two devices sync; no collections worker is built or fetched', async () => {
    const out = await buildWithVite(project.addFixture('device-app', 'vite-app'));
    expect(prebuiltWorkers(emittedScripts(out))).toEqual({ core: 1, collections: 0 });
    const pages = await expectTwoDevicesToSync(out, 'vite');
    for (const page of pages) expect(prebuiltWorkers(workerFetches.get(page) ?? [])).toEqual({ core: 1, collections: 0 });
  }, 90_000);

  it('Vite: an app that declares collections starts the collections worker (only that one is fetched), syncs, and queries an index', async () => {
    // device-app's page, with collections-app's main.js over its own.
    project.addFixture('device-app', 'collections-app');
    const out = await buildWithVite(project.addFixture('collections-app'));
    // The default worker is emitted too (createSyncClient can reach it), but never fetched.
    expect(prebuiltWorkers(emittedScripts(out))).toEqual({ core: 1, collections: 1 });
    const [laptop, phone] = await expectTwoDevicesToSync(out, 'collections');
    for (const page of [laptop, phone]) expect(prebuiltWorkers(workerFetches.get(page) ?? [])).toEqual({ core: 0, collections: 1 });
    // The server holds every app's notes of this run: the laptop's are there, the phone's not.
    const ids = await phone.evaluate((from) => window.device.idsFrom(from), 'laptop');
    expect(ids).toContain('collections-1');
    expect(ids).not.toContain('collections-2');
  }, 90_000);

  it('Vite: the dev server with no configuration, two devices sync', async () => {
    await expectTwoDevicesToSync(await serveWithViteDev(project.addFixture('device-app', 'vite-dev-app')), 'vite-dev');
  }, 90_000);

  it('webpack 5: a production build, two devices sync', async () => {
    const out = await buildWithWebpack(project.addFixture('device-app', 'webpack-app'));
    await expectTwoDevicesToSync(out, 'webpack');
  }, 90_000);

  it('esbuild: the bundle plus the prebuilt worker copied beside it, two devices sync', async () => {
    const out = await buildWithEsbuild(project.addFixture('device-app', 'esbuild-app'));
    await expectTwoDevicesToSync(out, 'esbuild');
  }, 90_000);

  it('an app with its own worker (pulsesync/client, workerCollections) builds without the prebuilt workers, syncs, and queries an index', async () => {
    const out = await buildWithVite(project.addFixture('own-worker-app'));
    const scripts = emittedScripts(out);
    expect(prebuiltWorkers(scripts)).toEqual({ core: 0, collections: 0 });
    expect(scripts.filter((name) => name.startsWith('sync-worker'))).toHaveLength(1);
    const [, phone] = await expectTwoDevicesToSync(out, 'own-worker');
    const ids = await phone.evaluate((from) => window.device.idsFrom(from), 'laptop');
    expect(ids).toContain('own-worker-1');
    expect(ids).not.toContain('own-worker-2');
  }, 90_000);
});
