/**
 * What a contract suite imports from `vitest`, for a page in real Chromium: the page
 * build aliases `vitest` to this file. `describe`/`it`/`beforeEach`/`afterEach` only
 * record the tests; `expect` is vitest's own (its `@vitest/expect` matchers on chai),
 * so an assertion means the same in the page as in Node. The Node side asks for the
 * list of tests, registers each as a vitest test of its own and runs it here by its
 * path (`window.contract`), so every result lands in vitest's report.
 *
 * Only what the suites use is here; importing anything else fails the page build.
 */
import {
  ASYMMETRIC_MATCHERS_OBJECT,
  GLOBAL_EXPECT,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  chai,
  getState,
  setState,
} from '@vitest/expect';
import type { ExpectStatic } from 'vitest';

type Hook = () => unknown;
type TestFn = () => unknown;

interface Suite {
  readonly path: readonly string[];
  readonly parent: Suite | undefined;
  readonly beforeEach: Hook[];
  readonly afterEach: Hook[];
}

interface RecordedTest {
  readonly path: readonly string[];
  readonly suite: Suite;
  readonly fn: TestFn;
}

/** How one test ended, as data that crosses into Node. */
export type PageTestResult = { readonly ok: true } | { readonly ok: false; readonly name: string; readonly message: string; readonly stack: string };

/** What the page offers the Node side. */
export interface ContractPage {
  /** Every recorded test, as its path of describe names then its own name. */
  tests(): string[][];
  /** Runs the test at `path` with its hooks. */
  run(path: readonly string[]): Promise<PageTestResult>;
}

declare global {
  interface Window {
    contract?: ContractPage;
  }
}

const root: Suite = { path: [], parent: undefined, beforeEach: [], afterEach: [] };
let current = root;
const recorded: RecordedTest[] = [];

/** Records a group of tests; its body runs now, as in vitest's collection. */
export function describe(name: string, body: () => void): void {
  const suite: Suite = { path: [...current.path, name], parent: current, beforeEach: [], afterEach: [] };
  const outer = current;
  current = suite;
  try {
    const result: unknown = body();
    if (result instanceof Promise) throw new Error(`describe("${name}"): an async body is not supported in the page runner`);
  } finally {
    current = outer;
  }
}

/** Records a test. */
export function it(name: string, fn: TestFn): void {
  recorded.push({ path: [...current.path, name], suite: current, fn });
}
export { it as test };

/** Runs `hook` before each test of the enclosing group. */
export function beforeEach(hook: Hook): void {
  current.beforeEach.push(hook);
}

/** Runs `hook` after each test of the enclosing group (innermost first, as vitest does). */
export function afterEach(hook: Hook): void {
  current.afterEach.push(hook);
}

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

function createExpect(): ExpectStatic {
  const expect = ((value: unknown, message?: string) => {
    const { assertionCalls } = getState(expect);
    setState({ assertionCalls: assertionCalls + 1 }, expect);
    return chai.expect(value, message);
  }) as unknown as ExpectStatic;
  Object.assign(expect, chai.expect);
  Object.assign(expect, (globalThis as Record<symbol, unknown>)[ASYMMETRIC_MATCHERS_OBJECT]);
  setState(
    {
      assertionCalls: 0,
      isExpectingAssertions: false,
      isExpectingAssertionsError: null,
      expectedAssertionsNumber: null,
      expectedAssertionsNumberErrorGen: null,
      currentTestName: '',
    },
    expect,
  );
  return expect;
}

/** vitest's `expect`: the same matchers, built here on the same chai plugins. */
export const expect: ExpectStatic = createExpect();
Object.defineProperty(globalThis, GLOBAL_EXPECT, { value: expect, writable: true, configurable: true });

function chain(suite: Suite): Suite[] {
  const suites: Suite[] = [];
  for (let s: Suite | undefined = suite; s !== undefined; s = s.parent) suites.unshift(s);
  return suites;
}

function failure(error: unknown): PageTestResult {
  const e = error instanceof Error ? error : new Error(String(error));
  return { ok: false, name: e.name, message: e.message, stack: e.stack ?? '' };
}

async function run(path: readonly string[]): Promise<PageTestResult> {
  const key = JSON.stringify(path);
  const test = recorded.find((t) => JSON.stringify(t.path) === key);
  if (test === undefined) return failure(new Error(`no test at ${path.join(' > ')}`));
  const suites = chain(test.suite);
  let outcome: PageTestResult = { ok: true };
  try {
    for (const suite of suites) for (const hook of suite.beforeEach) await hook();
    await test.fn();
  } catch (error) {
    outcome = failure(error);
  }
  // afterEach hooks run even after a failure; their own failure counts when the test passed.
  for (const suite of [...suites].reverse()) {
    for (const hook of [...suite.afterEach].reverse()) {
      try {
        await hook();
      } catch (error) {
        if (outcome.ok) outcome = failure(error);
      }
    }
  }
  return outcome;
}

/** Puts the recorded tests on `window.contract`, for the Node side. Call once the suites are registered. */
export function exposeContract(): void {
  window.contract = { tests: () => recorded.map((t) => [...t.path]), run };
}
