/**
 * App-data versions between two clients syncing through one server: values carry the
 * version that wrote them; the newer client migrates older values when it reads them;
 * the older client keeps (and syncs) values it cannot read, leaves them out of its
 * reads, and reads them once updated.
 */
import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import type { Collection } from '../../src/client/collection-types.ts';
import { defineCollections } from '../../src/client/define-collections.ts';
import type { JsonValue } from '../../src/protocol/types.ts';
import { tabsWorld } from './tabs.ts';

let worlds: ReturnType<typeof tabsWorld>[] = [];
afterEach(async () => {
  await Promise.all(worlds.map((w) => w.closeAll()));
  worlds = [];
});

/** Version 1 of the app: a todo has a title and a done flag. */
const TodoV1 = v.object({ title: v.string(), done: v.boolean() });
/** Version 2: and a priority, which older todos get as 'normal'. */
const TodoV2 = v.object({ title: v.string(), done: v.boolean(), priority: v.picklist(['low', 'normal', 'high']) });
type TodoV2 = v.InferOutput<typeof TodoV2>;

const v1 = defineCollections({ todos: { schema: TodoV1, indexes: ['title'] } });
const v2 = defineCollections({
  todos: {
    schema: TodoV2,
    indexes: ['title'],
    version: 2,
    migrate: (value: JsonValue, fromVersion: number): TodoV2 => {
      if (fromVersion !== 1) throw new Error(`no migration from ${fromVersion}`);
      return { ...(value as { title: string; done: boolean }), priority: 'normal' };
    },
  },
});

describe('two app versions syncing through one server', () => {
  it('the new client migrates old values on read; the old one keeps new values it cannot read', async () => {
    const oldDevice = tabsWorld();
    const newDevice = tabsWorld({ server: oldDevice.server });
    worlds.push(oldDevice, newDevice);
    const oldClient = oldDevice.open({ collections: v1 });
    const newClient = newDevice.open({ collections: v2 });
    const oldTodos = oldClient.collection('todos') as unknown as Collection<v.InferOutput<typeof TodoV1>>;
    const newTodos = newClient.collection('todos') as unknown as Collection<TodoV2>;

    await oldTodos.put('a', { title: 'written by v1', done: false });
    await oldClient.syncOnce();
    await newClient.syncOnce();
    expect(await newTodos.get('a')).toEqual({ title: 'written by v1', done: false, priority: 'normal' });

    await newTodos.put('b', { title: 'written by v2', done: true, priority: 'high' });
    await newClient.syncOnce();
    await oldClient.syncOnce();
    // The old client keeps b as written, syncs it, but does not read it.
    expect((await oldClient.get('todos', 'b'))?.value).toEqual({ title: 'written by v2', done: true, priority: 'high', $v: 2 });
    expect(await oldTodos.get('b')).toBeUndefined();
    expect((await oldTodos.query({ orderBy: 'title' })).records.map((r) => r.id)).toEqual(['a']);

    // It keeps writing, and the new client keeps reading what it writes.
    await oldTodos.put('c', { title: 'v1 again', done: true });
    await oldClient.syncOnce();
    await newClient.syncOnce();
    const page = await newTodos.query({ orderBy: 'title' });
    expect(page.records).toEqual([
      { id: 'c', value: { title: 'v1 again', done: true, priority: 'normal' } },
      { id: 'a', value: { title: 'written by v1', done: false, priority: 'normal' } },
      { id: 'b', value: { title: 'written by v2', done: true, priority: 'high' } },
    ]);

    // Updated, the old device reads what it kept.
    await oldClient.close();
    const updated = oldDevice.open({ collections: v2 });
    expect(await (updated.collection('todos') as unknown as Collection<TodoV2>).get('b')).toEqual({ title: 'written by v2', done: true, priority: 'high' });
  });

  it('refuses a version without a migration, at createSyncClient', () => {
    const w = tabsWorld();
    worlds.push(w);
    expect(() => w.open({ collections: defineCollections({ todos: { version: 2 } }) })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});
