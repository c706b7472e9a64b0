/**
 * Conflict events under `field-last-write-wins` (issue 14, item 3): every device that
 * lost something hears a `conflict`, saying what it had, what won and why; nobody else
 * does. Lost means a write of this device hidden by one that had not seen it: still
 * pending when the winner came (told by the pull, or by the push's answer), or pushed
 * and then overruled by a concurrent write (the server marks the winner's stamp `over`
 * it, and the loser learns it when it pulls). Real engines, fake IndexedDB replicas with
 * field-level records, the memory server.
 */
import { describe, expect, it } from 'vitest';
import { FIELDS, twoDevices } from './field-devices.ts';

describe('conflict events under field-last-write-wins', () => {
  it('tells the device whose pushed edit a concurrent one overruled, when it pulls, and nobody else', async () => {
    const { a, b } = await twoDevices();
    await a.replica.patch('todos', 't', { title: 'oat milk' });
    await a.sync.syncOnce();
    // B had not pulled A's edit: its own, later, is concurrent with it.
    await b.replica.patch('todos', 't', { title: 'almond milk' });
    await b.sync.syncOnce();
    await a.sync.syncOnce();
    expect(b.heard).toEqual([]);
    expect(a.heard).toHaveLength(1);
    expect(a.heard[0]).toMatchObject({
      collective: 'todos',
      id: 't',
      policy: 'field-last-write-wins',
      outcome: 'merged',
      local: { op: 'put', value: { title: 'oat milk', done: false } },
      remote: { value: { title: 'almond milk', done: false } },
      fields: [{ path: ['title'], had: { value: 'oat milk', source: a.id }, won: { path: ['title'], value: 'almond milk', source: b.id }, pending: false }],
    });
    expect(a.heard[0]?.reason).toMatch(/^title: this replica's write \(.+\) lost to .+'s later one \(.+\), made without seeing it; field-last-write-wins/);
    for (const { replica } of [a, b]) expect((await replica.get('todos', 't'))?.value).toEqual({ title: 'almond milk', done: false });
  });

  it('tells a device whose pending edit a pulled one overruled, once: the push that follows adds no second event', async () => {
    const { a, b } = await twoDevices();
    await a.replica.patch('todos', 't', { title: 'oat milk' });
    await b.replica.patch('todos', 't', { title: 'almond milk' });
    await b.sync.syncOnce();
    // A pulls before it pushes (a pull-only cycle), then syncs as usual.
    await a.manager({ ...FIELDS, direction: 'pull-only' }).syncOnce();
    expect(a.heard).toMatchObject([{ fields: [{ path: ['title'], had: { value: 'oat milk' }, won: { value: 'almond milk' }, pending: true }] }]);
    expect(a.heard[0]?.reason).toMatch(/^title: this replica's pending write \(.+\) lost to .+'s later one \(.+\);/);
    await a.sync.syncOnce();
    expect(a.heard).toHaveLength(1);
    expect(b.heard).toEqual([]);
  });

  it('tells a device whose pending edit loses on the server, from the push answer', async () => {
    const { a, b } = await twoDevices();
    await a.replica.patch('todos', 't', { title: 'oat milk', note: 'A' });
    await b.replica.patch('todos', 't', { title: 'almond milk' });
    await b.sync.syncOnce();
    await a.sync.syncOnce(); // pushes first: the server answers that the title lost
    expect(a.heard).toHaveLength(1);
    expect(a.heard[0]?.fields).toEqual([expect.objectContaining({ path: ['title'], pending: true })]);
    // Its other field stands, on both.
    await b.sync.syncOnce();
    for (const { replica } of [a, b]) expect((await replica.get('todos', 't'))?.value).toEqual({ title: 'almond milk', done: false, note: 'A' });
    expect(b.heard).toEqual([]);
  });

  it('tells nobody when concurrent edits touch different fields', async () => {
    const { a, b } = await twoDevices();
    await a.replica.patch('todos', 't', { title: 'oat milk' });
    await b.replica.patch('todos', 't', { done: true });
    for (const { sync } of [a, b, a]) await sync.syncOnce();
    expect([a.heard, b.heard]).toEqual([[], []]);
    for (const { replica } of [a, b]) expect((await replica.get('todos', 't'))?.value).toEqual({ title: 'oat milk', done: true });
  });

  it('tells the device whose record a later delete removed, with the fields it lost', async () => {
    const { a, b } = await twoDevices();
    await a.replica.patch('todos', 't', { done: true });
    await a.sync.syncOnce();
    await b.replica.delete('todos', 't');
    await b.sync.syncOnce();
    await a.sync.syncOnce();
    expect(a.heard).toMatchObject([{ outcome: 'remote', fields: [{ path: ['done'], had: { value: true }, won: { source: b.id, path: [] }, pending: false }] }]);
    expect(a.heard[0]?.fields?.[0]?.won).not.toHaveProperty('value');
    expect(await a.replica.get('todos', 't')).toBeUndefined();
  });
});
