/**
 * Typed collections through the client and its worker (Comlink over a MessageChannel,
 * fake IndexedDB): values checked by their schema before anything is written, queries
 * answered from declared indexes with pages and counts.
 */
import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import type { Collection } from '../../src/client/collection-types.ts';
import { defineCollections } from '../../src/client/define-collections.ts';
import { waitFor } from '../support/wait.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;
afterEach(async () => {
  await world?.closeAll();
});

const Todo = v.object({
  title: v.pipe(v.string(), v.minLength(1)),
  done: v.boolean(),
  createdAt: v.number(),
  listId: v.optional(v.string()),
});
type Todo = v.InferOutput<typeof Todo>;

const collections = defineCollections({
  todos: { schema: Todo, indexes: ['done', 'createdAt', ['listId', 'createdAt']] },
  notes: { indexes: ['title'] },
});

function openTodos(): { todos: Collection<Todo>; client: ReturnType<typeof world.open> } {
  const client = world.open({ collections });
  return { todos: client.collection('todos') as unknown as Collection<Todo>, client };
}

/** The rejection of `promise`, which must reject. */
function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('typed collections', () => {
  it('writes and reads values typed by the schema', async () => {
    world = tabsWorld();
    const { todos } = openTodos();
    await todos.put('t1', { title: 'Milk', done: false, createdAt: 1 });
    const todo = await todos.get('t1');
    expect(todo).toEqual({ title: 'Milk', done: false, createdAt: 1 });
    await todos.delete('t1');
    expect(await todos.get('t1')).toBeUndefined();
  });

  it('refuses a value failing its schema with INVALID_PAYLOAD naming the path; nothing is logged or pushed', async () => {
    world = tabsWorld();
    const { todos, client } = openTodos();
    const error = await rejection(todos.put('t1', { title: '', done: false, createdAt: 1 }));
    expect(error).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringMatching(/^todos\/t1: title: /) });
    const many = await rejection(todos.putMany([
      { id: 'ok', value: { title: 'fine', done: false, createdAt: 1 } },
      { id: 'bad', value: { title: 'x', done: 'no', createdAt: 1 } as unknown as Todo },
    ]));
    expect(many).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringMatching(/^todos\/bad: done: /) });
    expect(await client.list('todos')).toEqual([]);
    await client.syncOnce();
    expect(world.pushed).toEqual([]);
    expect(client.status().pending).toBe(0);
  });

  it('refuses a collection that was not declared', () => {
    world = tabsWorld();
    const client = world.open({ collections });
    // Not a name the types allow: as from plain JavaScript.
    const collection = client.collection as (name: string) => unknown;
    expect(() => collection.call(client, 'nope')).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });

  it('with a worker that has no collections, their calls fail INVALID_CONFIG saying how to get one; records still work', async () => {
    world = tabsWorld();
    const client = world.open({ collections }, { collections: undefined });
    const todos = client.collection('todos');
    // The default worker ignores the declarations (it carries none of their code).
    await todos.put('t1', { title: 'Milk', done: false, createdAt: 1 });
    expect(await todos.get('t1')).toEqual({ title: 'Milk', done: false, createdAt: 1 });
    const error = await rejection(todos.query({ orderBy: 'createdAt' }));
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/no collections.*workerCollections/) });
    expect(await rejection(todos.count())).toMatchObject({ code: 'INVALID_CONFIG' });
  });
});

describe('queries over declared indexes', () => {
  async function seeded(): Promise<Collection<Todo>> {
    world = tabsWorld();
    const { todos } = openTodos();
    // Ids in random order; createdAt gives the order.
    const ids = ['q', 'c', 'x', 'a', 'm', 'f', 'z', 'b', 'k', 'e'];
    await todos.putMany(
      ids.map((id, i) => ({ id, value: { title: `todo ${i}`, done: i % 3 === 0, createdAt: 100 + i, listId: i % 2 === 0 ? 'even' : 'odd' } })),
    );
    return todos;
  }

  it('orders by an index and pages with a cursor, forwards and backwards', async () => {
    const todos = await seeded();
    const first = await todos.query({ orderBy: 'createdAt', limit: 4 });
    expect(first.records.map((r) => r.value.createdAt)).toEqual([100, 101, 102, 103]);
    const second = await todos.query({ orderBy: 'createdAt', limit: 4, after: first.next });
    expect(second.records.map((r) => r.value.createdAt)).toEqual([104, 105, 106, 107]);
    const third = await todos.query({ orderBy: 'createdAt', limit: 4, after: second.next });
    expect(third.records.map((r) => r.value.createdAt)).toEqual([108, 109]);
    expect(third.next).toBeUndefined();
    const newest = await todos.query({ orderBy: 'createdAt', reverse: true, limit: 3 });
    expect(newest.records.map((r) => r.value.createdAt)).toEqual([109, 108, 107]);
    const older = await todos.query({ orderBy: 'createdAt', reverse: true, limit: 3, after: newest.next });
    expect(older.records.map((r) => r.value.createdAt)).toEqual([106, 105, 104]);
  });

  it('answers equality, ranges, prefixes and anyOf, with counts', async () => {
    const todos = await seeded();
    const evens = await todos.query({ where: { listId: 'even', createdAt: { gt: 102 } }, orderBy: 'createdAt' });
    expect(evens.records.map((r) => r.value.createdAt)).toEqual([104, 106, 108]);
    expect(await todos.count({ listId: 'even', createdAt: { gt: 102 } })).toBe(3);
    const some = await todos.query({ where: { createdAt: { anyOf: [109, 100, 105, 999] } } });
    expect(some.records.map((r) => r.value.createdAt)).toEqual([100, 105, 109]);
    expect(await todos.count({ title: { startsWith: 'todo 1' } })).toBe(1);
    expect(await todos.count()).toBe(10);
    await todos.delete('q');
    expect(await todos.count()).toBe(9);
  });

  it('filters on booleans and unindexed paths by scanning, page by page', async () => {
    const todos = await seeded();
    expect(await todos.count({ done: true })).toBe(4);
    const page = await todos.query({ where: { done: false }, limit: 2 });
    expect(page.records.map((r) => r.id)).toEqual(['b', 'c']);
    const rest = await todos.query({ where: { done: false }, after: page.next });
    expect(rest.records.map((r) => r.id)).toEqual(['f', 'k', 'm', 'x']);
    const ordered = await todos.query({ where: { done: false }, orderBy: 'createdAt', limit: 3 });
    expect(ordered.records.map((r) => r.value.createdAt)).toEqual([101, 102, 104]);
  });

  it('refuses an orderBy no index serves, and a malformed where, with INVALID_PAYLOAD', async () => {
    const todos = await seeded();
    expect(await rejection(todos.query({ orderBy: 'title' }))).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringMatching(/needs an index/) });
    expect(await rejection(todos.count({ createdAt: { near: 3 } as never }))).toMatchObject({ code: 'INVALID_PAYLOAD' });
    expect(await rejection(todos.query({ limit: 0 }))).toMatchObject({ code: 'INVALID_PAYLOAD' });
  });
});

describe('an index upgrade with an older tab open', () => {
  it('goes through; the older tab hears DATABASE_CLOSED at once and its calls fail so', async () => {
    world = tabsWorld();
    const old = world.open({ collections: defineCollections({ todos: { indexes: ['createdAt'] } }) });
    await old.collection('todos').put('t1', { createdAt: 1, title: 'kept' });
    const errors: string[] = [];
    old.on('error', (error) => errors.push(error.code));
    const upgraded = world.open({ collections: defineCollections({ todos: { indexes: ['createdAt', 'title'] } }) });
    const page = await upgraded.collection('todos').query({ orderBy: 'title' });
    expect(page.records.map((r) => r.id)).toEqual(['t1']);
    await waitFor('the older tab to hear it', () => errors, (e) => e.length > 0);
    expect(errors).toEqual(['DATABASE_CLOSED']);
    expect(await rejection(old.collection('todos').count())).toMatchObject({ code: 'DATABASE_CLOSED', message: expect.stringMatching(/reload this tab/) });
  });
});
