/**
 * Contract suites in real Chromium: a page of test/support/contract-page/ bundles a
 * suite from src/testing with `vitest` aliased to the page-side shim, and this side
 * turns each test the page recorded into a vitest test that runs it there. So the
 * suite's own tests, unchanged, report one by one — and fail when the implementation
 * under them misbehaves in the browser.
 *
 *     const contract = await openContractPage('replica'); // top level: tests are known at collection
 *     afterAll(() => contract.close());
 *     registerPageTests(contract);
 */
import type { Page } from 'playwright-core';
import { describe, it } from 'vitest';
import { launchChromium, type HeadlessChromium } from '../../tools/chromium.ts';
import type { PageTestResult } from './contract-page/vitest-shim.ts';
import { serveTestPages, type PageSet, type TestPages } from './pages.ts';

/** The contract pages: they depend on themselves, the SDK sources and the installed vitest. */
export const CONTRACT_PAGES: PageSet = {
  name: 'contract-pages',
  root: 'test/support/contract-page',
  inputs: ['test/support/contract-page', 'src', 'package.json', 'package-lock.json'],
  alias: { vitest: 'test/support/contract-page/vitest-shim.ts' },
};

/** A contract page open in Chromium. */
export interface OpenContractPage {
  /** Where it runs, for the describe name. */
  readonly pageName: string;
  /** Every test the page recorded: its describe path, then its name. */
  readonly tests: readonly (readonly string[])[];
  /** Runs one test in the page. */
  run(path: readonly string[]): Promise<PageTestResult>;
  /** Errors thrown in the page (uncaught) so far, for failure messages. */
  pageErrors(): readonly string[];
  close(): Promise<void>;
}

/** Launches Chromium, serves the contract pages and opens `pageName`.html, ready to run. */
export async function openContractPage(pageName: string): Promise<OpenContractPage> {
  const [chromium, pages] = await Promise.allSettled([launchChromium(), serveTestPages(CONTRACT_PAGES)]);
  if (chromium.status === 'rejected' || pages.status === 'rejected') {
    if (chromium.status === 'fulfilled') await chromium.value.close();
    if (pages.status === 'fulfilled') await pages.value.close();
    throw chromium.status === 'rejected' ? chromium.reason : (pages as PromiseRejectedResult).reason;
  }
  try {
    return await openIn(pageName, chromium.value, pages.value);
  } catch (error) {
    await chromium.value.close();
    await pages.value.close();
    throw error;
  }
}

async function openIn(pageName: string, chromium: HeadlessChromium, pages: TestPages): Promise<OpenContractPage> {
  const context = await chromium.newContext();
  const page: Page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.stack ?? error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  await page.goto(`${pages.url}${pageName}.html`);
  try {
    await page.waitForFunction(() => window.contract !== undefined, undefined, { timeout: 15_000 });
  } catch (error) {
    throw new Error(`${pageName}.html never exposed its tests; page errors: ${errors.join('\n') || 'none'}`, { cause: error });
  }
  const tests = await page.evaluate(() => window.contract?.tests() ?? []);
  if (tests.length === 0) throw new Error(`${pageName}.html recorded no tests`);
  return {
    pageName,
    tests,
    run: (path) =>
      page.evaluate((p) => {
        const contract = window.contract;
        if (contract === undefined) throw new Error('the contract page lost its tests (reloaded?)');
        return contract.run(p);
      }, path),
    pageErrors: () => [...errors],
    async close() {
      await chromium.close();
      await pages.close();
    },
  };
}

/** The error a failed page test is reported with: the page's message and stack. */
function pageFailure(result: Extract<PageTestResult, { ok: false }>, errors: readonly string[]): Error {
  const error = new Error(result.message);
  error.name = result.name;
  const uncaught = errors.length === 0 ? '' : `\nuncaught in the page:\n${errors.join('\n')}`;
  error.stack = `${result.name}: ${result.message}\n    (in Chromium)\n${result.stack.split('\n').slice(1).join('\n')}${uncaught}`;
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
        if (!result.ok) throw pageFailure(result, contract.pageErrors());
      }, timeoutMs);
    }
  };
  register(contract.tests, 0);
}
