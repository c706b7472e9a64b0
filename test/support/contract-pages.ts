/**
 * Contract suites in real browsers: a page of test/support/contract-page/ bundles a
 * suite from src/testing with `vitest` aliased to the page-side shim, and this side
 * turns each test the page recorded into a vitest test that runs it there. So the
 * suite's own tests, unchanged, report one by one — and fail when the implementation
 * under them misbehaves in that engine.
 *
 *     const contract = await openContractPage('replica', 'webkit'); // top level: tests are known at collection
 *     afterAll(() => contract.close());
 *     registerPageTests(contract);
 */
import { describe, it } from 'vitest';
import type { BrowserEngine, EngineName, EnginePage } from '../../tools/browser-engine.ts';
import type { PageTestResult } from './contract-page/vitest-shim.ts';
import { launchEngine } from './engines.ts';
import { serveTestPages, type PageSet, type TestPages } from './pages.ts';

/** The contract pages: they depend on themselves, the SDK sources and the installed vitest. */
export const CONTRACT_PAGES: PageSet = {
  name: 'contract-pages',
  root: 'test/support/contract-page',
  inputs: ['test/support/contract-page', 'src', 'package.json', 'package-lock.json'],
  alias: { vitest: 'test/support/contract-page/vitest-shim.ts' },
};

/** A contract page open in a browser. */
export interface OpenContractPage {
  /** The engine it runs in. */
  readonly engine: EngineName;
  /** Where it runs, for the describe name. */
  readonly pageName: string;
  /** Every test the page recorded: its describe path, then its name. */
  readonly tests: readonly (readonly string[])[];
  /** Runs one test in the page. */
  run(path: readonly string[]): Promise<PageTestResult>;
  /** Errors thrown in the page (uncaught) so far, for failure messages. */
  pageErrors(): Promise<readonly string[]>;
  close(): Promise<void>;
}

/**
 * Starts `engine` (or the variant `launch` starts), serves the contract pages and opens
 * `pageName`.html, ready to run.
 */
export async function openContractPage(pageName: string, engine: EngineName, launch?: () => Promise<BrowserEngine>): Promise<OpenContractPage> {
  const [browser, pages] = await Promise.allSettled([launchEngine(engine, launch), serveTestPages(CONTRACT_PAGES)]);
  if (browser.status === 'rejected' || pages.status === 'rejected') {
    if (browser.status === 'fulfilled') await browser.value.close();
    if (pages.status === 'fulfilled') await pages.value.close();
    throw browser.status === 'rejected' ? browser.reason : (pages as PromiseRejectedResult).reason;
  }
  try {
    return await openIn(pageName, browser.value, pages.value);
  } catch (error) {
    await browser.value.close();
    await pages.value.close();
    throw error;
  }
}

async function openIn(pageName: string, browser: BrowserEngine, pages: TestPages): Promise<OpenContractPage> {
  const device = await browser.newDevice();
  const page: EnginePage = await device.newPage();
  await page.goto(`${pages.url}${pageName}.html`);
  try {
    await page.waitForFunction(() => window.contract !== undefined, undefined, 15_000);
  } catch (error) {
    const errors = await page.errors();
    throw new Error(`${pageName}.html never exposed its tests in ${browser.name}; page errors: ${errors.join('\n') || 'none'}`, { cause: error });
  }
  const tests = await page.evaluate(() => window.contract?.tests() ?? []);
  if (tests.length === 0) throw new Error(`${pageName}.html recorded no tests in ${browser.name}`);
  return {
    engine: browser.name,
    pageName,
    tests,
    run: (path) =>
      page.evaluate((p) => {
        const contract = window.contract;
        if (contract === undefined) throw new Error('the contract page lost its tests (reloaded?)');
        return contract.run(p);
      }, path),
    pageErrors: () => page.errors(),
    async close() {
      await browser.close();
      await pages.close();
    },
  };
}

/** The error a failed page test is reported with: the page's message and stack. */
function pageFailure(result: Extract<PageTestResult, { ok: false }>, engine: EngineName, errors: readonly string[]): Error {
  const error = new Error(result.message);
  error.name = result.name;
  const uncaught = errors.length === 0 ? '' : `\nuncaught in the page:\n${errors.join('\n')}`;
  error.stack = `${result.name}: ${result.message}\n    (in ${engine})\n${result.stack.split('\n').slice(1).join('\n')}${uncaught}`;
  return error;
}

/** Registers one vitest test per page test, in nested describes as the page recorded them. */
export function registerPageTests(contract: OpenContractPage, timeoutMs = 30_000): void {
  const register = (tests: readonly (readonly string[])[], depth: number): void => {
    // Group first (vitest runs a describe body at once), keeping the page's order.
    const entries: ({ test: readonly string[] } | { group: string; members: (readonly string[])[] })[] = [];
    const groups = new Map<string, (readonly string[])[]>();
    for (const path of tests) {
      const name = path[depth] as string;
      if (path.length === depth + 1) {
        entries.push({ test: path });
        continue;
      }
      let members = groups.get(name);
      if (members === undefined) {
        members = [];
        groups.set(name, members);
        entries.push({ group: name, members });
      }
      members.push(path);
    }
    for (const entry of entries) {
      if ('group' in entry) {
        describe(entry.group, () => register(entry.members, depth + 1));
        continue;
      }
      const path = entry.test;
      it(path[depth] as string, async () => {
        const result = await contract.run(path);
        if (!result.ok) throw pageFailure(result, contract.engine, await contract.pageErrors());
      }, timeoutMs);
    }
  };
  register(contract.tests, 0);
}
