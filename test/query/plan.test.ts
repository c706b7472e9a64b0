/**
 * Query planning without a database: which index answers a query, over which key
 * spans, and what is left to check on each value.
 */
import { describe, expect, it } from 'vitest';
import { planQuery } from '../../src/query/plan.ts';
import { LIVE_INDEX, valueIndex } from '../../src/store/record-indexes.ts';

const done = valueIndex(['done']);
const createdAt = valueIndex(['createdAt']);
const listCreated = valueIndex(['listId', 'createdAt']);
const indexes = [done, createdAt, listCreated];

describe('query planning', () => {
  it('walks the live index of the collection, by id, when nothing is asked', () => {
    const plan = planQuery('todos', indexes, {});
    expect(plan.index).toBe(LIVE_INDEX);
    expect(plan.spans).toEqual([{ lower: ['todos', 1], upper: ['todos', 1, []], lowerOpen: false, upperOpen: false }]);
    expect(plan.filter.size).toBe(0);
  });

  it('orders by an index on the path, over the whole collection', () => {
    const plan = planQuery('todos', indexes, { orderBy: 'createdAt', reverse: true });
    expect(plan.index).toBe(createdAt);
    expect(plan.reverse).toBe(true);
    expect(plan.spans).toEqual([{ lower: ['todos'], upper: ['todos', []], lowerOpen: false, upperOpen: false }]);
  });

  it('prefers the compound index whose leading path is fixed by equality, ordering by the next', () => {
    const plan = planQuery('todos', indexes, { where: { listId: 'l1', createdAt: { gte: 10, lt: 20 } }, orderBy: 'createdAt' });
    expect(plan.index).toBe(listCreated);
    expect(plan.spans).toEqual([{ lower: ['todos', 'l1', 10], upper: ['todos', 'l1', 20], lowerOpen: false, upperOpen: true }]);
    expect(plan.filter.size).toBe(0);
  });

  it('reads one span per anyOf value, in key order (numbers before strings)', () => {
    const plan = planQuery('todos', indexes, { where: { listId: { anyOf: ['b', 2, 'a', 'b'] } } });
    expect(plan.index).toBe(listCreated);
    expect(plan.spans.map((s) => s.lower)).toEqual([['todos', 2], ['todos', 'a'], ['todos', 'b']]);
  });

  it('bounds a prefix by the prefix and the highest code unit', () => {
    const plan = planQuery('notes', [valueIndex(['title'])], { where: { title: { startsWith: 'ab' } } });
    expect(plan.spans).toEqual([{ lower: ['notes', 'ab'], upper: ['notes', 'ab\uffff'], lowerOpen: false, upperOpen: false }]);
  });

  it('checks on each value what no index answers: booleans, null, unindexed paths (a scan)', () => {
    const plan = planQuery('todos', indexes, { where: { done: false, title: 'x' } });
    expect(plan.index).toBe(LIVE_INDEX);
    expect([...plan.filter.keys()]).toEqual(['done', 'title']);
    const mixed = planQuery('todos', indexes, { where: { createdAt: { gt: 5 }, title: 'x' } });
    expect(mixed.index).toBe(createdAt);
    expect([...mixed.filter.keys()]).toEqual(['title']);
  });

  it('refuses an orderBy that no index serves, naming the index to declare', () => {
    expect(() => planQuery('todos', indexes, { orderBy: 'title' })).toThrow(/orderBy "title" needs an index.*collections\.todos\.indexes/);
    // A compound index orders by its second path only once the first is fixed.
    expect(() => planQuery('todos', [listCreated], { orderBy: 'createdAt' })).toThrow(/needs an index/);
  });

  it('refuses a malformed condition with INVALID_PAYLOAD', () => {
    expect(() => planQuery('todos', indexes, { where: { createdAt: { between: [1, 2] } as never } })).toThrow(
      expect.objectContaining({ code: 'INVALID_PAYLOAD' }),
    );
  });
});
