/**
 * Conditions of a `where`, read once into a closed form, and tested against values: a
 * query checks with them what its index does not answer (the scan part), and a live
 * query asks whether a written value could belong to its result.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { Condition, IndexKey, Where } from './types.ts';

/** A condition in closed form. */
export type Test =
  | { readonly eq: unknown }
  | { readonly gt?: IndexKey; readonly gte?: IndexKey; readonly lt?: IndexKey; readonly lte?: IndexKey }
  | { readonly startsWith: string }
  | { readonly anyOf: readonly IndexKey[] };

/** Is `value` something an IndexedDB index holds (see `IndexKey`)? */
export function isIndexKey(value: unknown): value is IndexKey {
  return typeof value === 'string' || (typeof value === 'number' && !Number.isNaN(value));
}

function invalid(path: string, condition: unknown): SyncError {
  return new SyncError(
    ErrorCode.INVALID_PAYLOAD,
    `where.${path}: ${JSON.stringify(condition)} is not a condition; use a value, { eq }, { gt, gte, lt, lte }, { startsWith } or { anyOf: [...] }`,
    { details: { field: `where.${path}` } },
  );
}

/** Reads one condition; fails `INVALID_PAYLOAD` on anything else. */
export function testOf(path: string, condition: Condition): Test {
  if (condition === null || typeof condition !== 'object') {
    if (condition === null || isIndexKey(condition) || typeof condition === 'boolean') return { eq: condition };
    throw invalid(path, condition);
  }
  if ('eq' in condition) return { eq: condition.eq };
  if ('startsWith' in condition && typeof condition.startsWith === 'string') return { startsWith: condition.startsWith };
  if ('anyOf' in condition && Array.isArray(condition.anyOf) && condition.anyOf.every(isIndexKey)) return { anyOf: condition.anyOf };
  const bounds = Object.entries(condition);
  if (bounds.length > 0 && bounds.every(([name, bound]) => ['gt', 'gte', 'lt', 'lte'].includes(name) && isIndexKey(bound))) {
    return condition as Test;
  }
  throw invalid(path, condition);
}

/** The conditions of `where` in closed form, by path (undefined entries dropped). */
export function testsOf(where: Where | undefined): Map<string, Test> {
  const tests = new Map<string, Test>();
  for (const [path, condition] of Object.entries(where ?? {})) {
    if (condition !== undefined) tests.set(path, testOf(path, condition));
  }
  return tests;
}

/** The value at a dot path of `value` (undefined when a step is missing). */
export function valueAt(value: unknown, path: string): unknown {
  let at = value;
  for (const step of path.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[step];
  }
  return at;
}

/** IndexedDB's order of keys: numbers before strings, then by value. */
export function compareKeys(a: IndexKey, b: IndexKey): number {
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Does `value` pass `test`? Ranges hold only keys, as an index would. */
export function passes(test: Test, value: unknown): boolean {
  if ('eq' in test) return value === test.eq;
  if (!isIndexKey(value)) return false;
  if ('startsWith' in test) return typeof value === 'string' && value.startsWith(test.startsWith);
  if ('anyOf' in test) return test.anyOf.includes(value);
  return (
    (test.gt === undefined || compareKeys(value, test.gt) > 0) &&
    (test.gte === undefined || compareKeys(value, test.gte) >= 0) &&
    (test.lt === undefined || compareKeys(value, test.lt) < 0) &&
    (test.lte === undefined || compareKeys(value, test.lte) <= 0)
  );
}

/** Does `value` pass every test? */
export function passesAll(tests: ReadonlyMap<string, Test>, value: unknown): boolean {
  for (const [path, test] of tests) if (!passes(test, valueAt(value, path))) return false;
  return true;
}
