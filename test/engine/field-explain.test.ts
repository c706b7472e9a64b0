/**
 * `explain` (issue 14, item 4): why a record holds its value, as the replica knows it.
 * Per field, the write that holds it now; and the record's recent history, each state
 * with its writer, clock and server version, the concurrent writes it overruled and the
 * rule that decided. Kept on the record (bounded), dropped with it.
 */
import { describe, expect, it } from 'vitest';
import { HISTORY_LIMIT } from '../../src/store/field-seam.ts';
import { twoDevices } from './field-devices.ts';

describe('explain', () => {
  it('tells the story of a field both devices edited, on the one that lost and on the one that won', async () => {
    const { a, b } = await twoDevices();
    await a.replica.patch('todos', 't', { title: 'oat milk' });
    await a.sync.syncOnce();
    await b.replica.patch('todos', 't', { title: 'almond milk' });
    await b.sync.syncOnce();
    await a.sync.syncOnce();
    await b.sync.syncOnce();

    const onA = await a.replica.explain('todos', 't');
    expect(onA).toMatchObject({ collective: 'todos', id: 't', exists: true, value: { title: 'almond milk', done: false } });
    expect(onA.fields).toEqual([
      // A's put came back with its version, in the record of several writers it pulled.
      { path: [], hlc: expect.any(String), source: a.id, version: 1 },
      { path: ['title'], hlc: expect.any(String), source: b.id, version: expect.any(Number) },
    ]);
    // Oldest first: A's own put and patch, then B's edit, which overruled A's.
    expect(onA.history).toEqual([
      { path: [], value: { title: 'milk', done: false }, source: a.id, hlc: expect.any(String), via: 'local' },
      { path: ['title'], value: 'oat milk', source: a.id, hlc: expect.any(String), via: 'local' },
      {
        path: ['title'],
        value: 'almond milk',
        source: b.id,
        hlc: expect.any(String),
        version: expect.any(Number),
        via: 'server',
        overruled: [{ hlc: onA.history[1]?.hlc, source: a.id, value: 'oat milk', mine: true }],
        rule: 'field-last-write-wins: the later write (clock, then instance id) wins each field',
      },
    ]);

    // B wrote the winner, and learnt from the server which write it overruled (not A's value: B never held it).
    const onB = await b.replica.explain('todos', 't');
    expect(onB.history.map((entry) => [entry.via, entry.source === a.id ? 'A' : 'B', entry.path.join('.'), entry.overruled?.map((o) => o.mine)])).toEqual([
      ['server', 'A', '', undefined],
      ['local', 'B', 'title', undefined],
      ['server', 'B', 'title', [false]],
    ]);
    expect(onB.history[2]?.overruled?.[0]).toEqual({ hlc: onA.history[1]?.hlc, source: a.id, mine: false });
  });

  it('keeps the last entries only, and nothing for a record it does not hold', async () => {
    const { a } = await twoDevices();
    for (let n = 0; n < HISTORY_LIMIT + 5; n++) await a.replica.patch('todos', 't', { count: n });
    const { history } = await a.replica.explain('todos', 't');
    expect(history).toHaveLength(HISTORY_LIMIT);
    expect(history.at(-1)).toMatchObject({ path: ['count'], value: HISTORY_LIMIT + 4 });
    expect(await a.replica.explain('todos', 'nope')).toEqual({ collective: 'todos', id: 'nope', exists: false, fields: [], history: [] });
  });

  it('drops the history with the record: a delete, once acknowledged, leaves nothing to explain', async () => {
    const { a } = await twoDevices();
    await a.replica.delete('todos', 't');
    expect((await a.replica.explain('todos', 't')).history.at(-1)).toMatchObject({ path: [], source: a.id, via: 'local' });
    expect((await a.replica.explain('todos', 't')).history.at(-1)).not.toHaveProperty('value');
    await a.sync.syncOnce();
    expect(await a.replica.explain('todos', 't')).toEqual({ collective: 'todos', id: 't', exists: false, fields: [], history: [] });
  });
});
