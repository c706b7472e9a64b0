/**
 * Query planning: which index answers a query, over which key spans, and what is left
 * to check on each value. Pure, so the choice is tested without a database.
 *
 * An index `[p1 … pn]` (key `[collective, p1 … pn, id]`) serves a query when `where`
 * fixes a leading run of its paths by equality (with string or number values) and
 * perhaps bounds the next one (a range, a prefix, `anyOf`). `orderBy` must be that next
 * path. The index fixing the most paths wins. With no index serving, the `live` index
 * (every record of the collection, by id) is walked and `where` is checked on each
 * value: a scan, allowed but as slow as the collection is large.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { LIVE_INDEX, type IndexDefinition } from '../store/record-indexes.ts';
import { compareKeys, isIndexKey, testsOf, type Test } from './conditions.ts';
import type { QuerySpec } from './types.ts';

/** Sorts after every string and number key: the end of "anything after this prefix". */
const AFTER: readonly never[] = [];

/** A key range of the plan, in key order. */
export interface KeySpan {
  readonly lower: readonly unknown[];
  readonly upper: readonly unknown[];
  readonly lowerOpen: boolean;
  readonly upperOpen: boolean;
}

/** How to answer one query. */
export interface QueryPlan {
  readonly index: IndexDefinition;
  /** Ascending and disjoint; several for `anyOf`. */
  readonly spans: readonly KeySpan[];
  readonly reverse: boolean;
  /** What the index does not answer, checked on each value. */
  readonly filter: ReadonlyMap<string, Test>;
}

function isEquality(test: Test | undefined): test is { readonly eq: string | number } {
  return test !== undefined && 'eq' in test && isIndexKey(test.eq);
}

/** Can the index bound its next path by `test`? (Any form but equality on a non-key.) */
function isBound(test: Test | undefined): test is Test {
  return test !== undefined && !('eq' in test);
}

function span(lower: readonly unknown[], upper: readonly unknown[], lowerOpen = false, upperOpen = false): KeySpan {
  return { lower, upper, lowerOpen, upperOpen };
}

/** The spans of keys starting with `prefix` whose next part passes `test` (any, without). */
function spansOf(prefix: readonly unknown[], test: Test | undefined): KeySpan[] {
  if (test === undefined) return [span(prefix, [...prefix, AFTER])];
  if ('startsWith' in test) return [span([...prefix, test.startsWith], [...prefix, `${test.startsWith}\uffff`])];
  if ('anyOf' in test) {
    // In key order, duplicates once: the spans must be ascending and disjoint.
    const values = [...new Set(test.anyOf)].sort(compareKeys);
    return values.map((value) => span([...prefix, value], [...prefix, value, AFTER]));
  }
  if ('eq' in test) return [span([...prefix, test.eq], [...prefix, test.eq, AFTER])];
  const lower = test.gte !== undefined ? [...prefix, test.gte] : test.gt !== undefined ? [...prefix, test.gt, AFTER] : prefix;
  const upper = test.lte !== undefined ? [...prefix, test.lte, AFTER] : test.lt !== undefined ? [...prefix, test.lt] : [...prefix, AFTER];
  return [span(lower, upper, test.gte === undefined && test.gt !== undefined, test.lte === undefined && test.lt !== undefined)];
}

/**
 * Plans `query` over `collection`, whose declared indexes are `indexes`. Fails
 * `INVALID_PAYLOAD` on a malformed condition, or an `orderBy` no index serves.
 */
export function planQuery(collection: string, indexes: readonly IndexDefinition[], query: QuerySpec): QueryPlan {
  const tests = testsOf(query.where);
  const { orderBy } = query;
  let best: { index: IndexDefinition; fixed: number; bound: boolean; score: number } | undefined;
  for (const index of indexes) {
    const { paths } = index;
    let fixed = 0;
    while (fixed < paths.length && isEquality(tests.get(paths[fixed] as string))) fixed++;
    const next = paths[fixed];
    if (orderBy !== undefined && next !== orderBy) continue;
    const bound = next !== undefined && isBound(tests.get(next));
    const score = 2 * fixed + (bound ? 1 : 0) + (orderBy === undefined ? 0 : 1);
    if (score > (best?.score ?? 0) || (best !== undefined && score === best.score && paths.length < best.index.paths.length)) {
      best = { index, fixed, bound, score };
    }
  }
  const reverse = query.reverse === true;
  if (best === undefined) {
    if (orderBy !== undefined) {
      throw new SyncError(
        ErrorCode.INVALID_PAYLOAD,
        `orderBy "${orderBy}" needs an index: declare '${orderBy}' (or [the paths where fixes by equality, '${orderBy}']) in collections.${collection}.indexes`,
        { details: { field: 'orderBy', collection } },
      );
    }
    return { index: LIVE_INDEX, spans: spansOf([collection, 1], undefined), reverse, filter: tests };
  }
  const { index, fixed, bound } = best;
  const used = index.paths.slice(0, fixed + (bound ? 1 : 0));
  const prefix = [collection, ...used.slice(0, fixed).map((path) => (tests.get(path) as { eq: unknown }).eq)];
  const spans = spansOf(prefix, bound ? tests.get(index.paths[fixed] as string) : undefined);
  const filter = new Map([...tests].filter(([path]) => !used.includes(path)));
  return { index, spans, reverse, filter };
}
