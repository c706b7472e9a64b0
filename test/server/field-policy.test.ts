/**
 * The sync server under `field-last-write-wins`, on each store: patches merge field by
 * field, concurrency is told in the push answer (to the writer that lost) and in the
 * pulled stamps (to the writer whose value was overruled), whole-record policies stay
 * as they were on the wire, and every answer reads with the client's parsers.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import { SEVERAL_WRITERS } from '../../src/protocol/field-merge.ts';
import type { ConflictPolicy, FieldPatch, JsonValue, PulledChange, PushedChange, PushResponse } from '../../src/protocol/types.ts';
import { parsePullResponse, parsePushResponse } from '../../src/protocol/validate.ts';
import { createSyncServer, type SyncServer } from '../../src/server/sync-server.ts';
import { SOURCE_A, SOURCE_B } from '../../src/testing/server-store-fixture.ts';
import { storeKinds, type OpenedStore } from './http/store-kinds.ts';

const FIELDS: ConflictPolicy = 'field-last-write-wins';
let wall = 1_700_000_000_000;

/** A replica pushing to the server: numbers its changes and stamps each with a later clock. */
function replica(server: () => SyncServer, source: string) {
  let seq = 0;
  const send = async (state: Pick<PushedChange, 'op'> & { value?: JsonValue; fields?: readonly FieldPatch[] }, id: string, baseVersion: number | null, policy = FIELDS): Promise<PushResponse> => {
    const change = { seq: ++seq, source, collective: 'todos', id, hlc: formatHlc({ wallMs: ++wall, counter: 0, node: source }), baseVersion, ...state } as PushedChange;
    return parsePushResponse(await server().handlePush({ instanceId: source, policy, changes: [change] }));
  };
  return {
    put: (id: string, value: JsonValue, base: number | null = null, policy = FIELDS) => send({ op: 'put', value }, id, base, policy),
    patch: (id: string, fields: FieldPatch[], base: number | null = null) => send({ op: 'patch', fields }, id, base),
    delete: (id: string, base: number | null = null) => send({ op: 'delete' }, id, base),
    /** Everything this replica would pull (its own single-writer rows left out). */
    pull: async (): Promise<readonly PulledChange[]> => parsePullResponse(await server().handlePull({ instanceId: source, cursor: 0, batchSize: 100, fields: true })).changes,
  };
}

describe.each(storeKinds())('field-last-write-wins ($kind store)', (kind) => {
  let opened: OpenedStore;
  let server: SyncServer;
  let n = 0;
  beforeAll(async () => {
    opened = await kind.open('fields');
    server = createSyncServer({ store: opened.store, limits: { maxValueBytes: 200 } });
  });
  afterAll(async () => {
    await server.close();
    opened.cleanup();
  });
  /** A record id of its own per test: the tests share one store. */
  const fresh = () => `todo-${++n}`;
  const a = replica(() => server, SOURCE_A);
  const b = replica(() => server, SOURCE_B);
  const third = replica(() => server, '0190f5e1-0000-7000-8000-00000000000c');
  const row = async (id: string) => (await third.pull()).find((change) => change.id === id);

  it('keeps concurrent edits of different fields, both, and tells nobody of a conflict', async () => {
    const id = fresh();
    const created = await a.put(id, { title: 'milk', done: false });
    const base = created.newCursor;
    const fromA = await a.patch(id, [{ path: ['title'], value: 'oat milk' }], base);
    const fromB = await b.patch(id, [{ path: ['done'], value: true }], base);
    expect([fromA.conflicts, fromB.conflicts]).toEqual([[], []]);
    expect(await row(id)).toMatchObject({ op: 'put', value: { title: 'oat milk', done: true }, source: SEVERAL_WRITERS });
    // Each writer lacks the other's field: the record of several writers is served to both.
    expect((await a.pull()).find((c) => c.id === id)?.value).toEqual({ title: 'oat milk', done: true });
    expect((await b.pull()).find((c) => c.id === id)?.value).toEqual({ title: 'oat milk', done: true });
  });

  it('tells the writer whose concurrent edit of a field lost, in the push answer, with the record it met', async () => {
    const id = fresh();
    const base = (await a.put(id, { title: 'milk' })).newCursor;
    await b.patch(id, [{ path: ['title'], value: 'from b' }], base);
    const before = await row(id);
    // A's edit is older than B's (made offline, pushed late): it loses the field.
    wall -= 10;
    const late = await a.patch(id, [{ path: ['title'], value: 'from a' }], base);
    wall += 10;
    expect(late.accepted).toBe(0);
    expect(late.conflicts).toEqual([{ seq: expect.any(Number), collective: 'todos', id, policy: FIELDS, server: before }]);
    expect((await row(id))?.value).toEqual({ title: 'from b' });
  });

  it('marks the stamp of a concurrent edit that won, so the overruled writer learns it when it pulls', async () => {
    const id = fresh();
    const base = (await a.put(id, { title: 'milk' })).newCursor;
    const early = await b.patch(id, [{ path: ['title'], value: 'from b' }], base);
    const bWrote = (await row(id))?.fields?.find((s) => s.path[0] === 'title');
    const won = await a.patch(id, [{ path: ['title'], value: 'from a' }], base);
    expect(early.conflicts).toEqual([]);
    // Told in A's answer too: it met a write it had not seen (and won), with the record as its push left it
    // (a replica that no longer holds its change, acknowledged by another tab's push, merges that).
    expect(won.conflicts).toEqual([expect.objectContaining({ id, server: { ...(await row(id)), version: expect.any(Number) } })]);
    expect(won.conflicts[0]?.server).toMatchObject({ value: { title: 'from a' }, version: (await row(id))?.version });
    expect(won.accepted).toBe(1);
    const title = (await b.pull()).find((c) => c.id === id)?.fields?.find((s) => s.path[0] === 'title');
    expect(title).toMatchObject({ source: SOURCE_A, over: [{ hlc: bWrote?.hlc, source: SOURCE_B }] });
  });

  it('does not call an edit concurrent when its writer had seen the one it replaces', async () => {
    const id = fresh();
    await a.put(id, { title: 'milk' });
    const seen = (await b.patch(id, [{ path: ['title'], value: 'from b' }])).newCursor;
    const after = await a.patch(id, [{ path: ['title'], value: 'from a' }], seen);
    expect(after.conflicts).toEqual([]);
    expect((await row(id))?.fields?.find((s) => s.path[0] === 'title')).not.toHaveProperty('over');
  });

  it('lets a later patch bring back a deleted record with only its fields, and a later delete remove it', async () => {
    const id = fresh();
    const base = (await a.put(id, { title: 'milk', done: false })).newCursor;
    await b.delete(id, base);
    await a.patch(id, [{ path: ['done'], value: true }], base);
    expect(await row(id)).toMatchObject({ op: 'put', value: { done: true } });
    await b.delete(id);
    expect((await row(id))?.op).toBe('delete');
  });

  it('takes a put as a write of every field, and whole-record pushes still read as before', async () => {
    const id = fresh();
    await a.patch(id, [{ path: ['extra'], value: 1 }]);
    await b.put(id, { title: 'whole' });
    expect(await row(id)).toMatchObject({ value: { title: 'whole' }, source: SOURCE_B });
    // A last-write-wins put of the record writes it whole: its stamps go.
    await a.put(id, { title: 'lww' }, null, 'last-write-wins');
    const raw = (await server.handlePull({ instanceId: SOURCE_B, cursor: 0, batchSize: 100, fields: true })).changes.find((change) => change.id === id);
    // Byte for byte as a whole record always was: the same keys in the same order, no stamps.
    expect(JSON.stringify(raw)).toBe(
      JSON.stringify({ collective: 'todos', id, hlc: raw?.hlc, source: SOURCE_A, version: raw?.version, op: 'put', value: { title: 'lww' } }),
    );
  });

  it('sends stamps only to a replica that asks: a whole-record peer reads a field-level record as its value', async () => {
    const id = fresh();
    await a.patch(id, [{ path: ['title'], value: 'milk' }]);
    const created = await b.patch(id, [{ path: ['done'], value: false }]);
    const pulled = parsePullResponse(await server.handlePull({ instanceId: '0190f5e1-0000-7000-8000-00000000000e', cursor: 0, batchSize: 100 })).changes;
    const held = pulled.find((change) => change.id === id);
    expect(held).toMatchObject({ op: 'put', value: { title: 'milk', done: false } });
    expect(held).not.toHaveProperty('fields');
    expect((await row(id))?.fields?.length).toBe(2);
    // A last-write-wins push that loses to it is answered with the record, no stamps.
    const lost = await a.put(id, { title: 'old' }, created.newCursor - 1, 'server-wins');
    expect(lost.conflicts[0]?.server).toMatchObject({ value: { title: 'milk', done: false } });
    expect(lost.conflicts[0]?.server).not.toHaveProperty('fields');
  });

  it('merges several patches of one record in one push, in seq order', async () => {
    const id = fresh();
    const source = '0190f5e1-0000-7000-8000-00000000000d';
    const hlc = (k: number) => formatHlc({ wallMs: wall + k, counter: 0, node: source });
    wall += 10;
    const answer = await server.handlePush({
      instanceId: source,
      policy: FIELDS,
      changes: [
        { seq: 1, source, collective: 'todos', id, op: 'patch', fields: [{ path: ['a'], value: 1 }], hlc: hlc(1), baseVersion: null },
        { seq: 2, source, collective: 'todos', id, op: 'patch', fields: [{ path: ['b'], value: 2 }, { path: ['a'] }], hlc: hlc(2), baseVersion: null },
      ],
    });
    expect(answer).toMatchObject({ accepted: 2, conflicts: [] });
    expect((await row(id))?.value).toEqual({ b: 2 });
  });

  it('refuses a patch that would grow a record past the value limit, and keeps the record', async () => {
    const id = fresh();
    await a.patch(id, [{ path: ['a'], value: 'x'.repeat(120) }]);
    const grown = await a.patch(id, [{ path: ['b'], value: 'y'.repeat(120) }]);
    expect(grown.rejected).toEqual([expect.objectContaining({ reason: 'INVALID', message: expect.stringContaining('at most 200') })]);
    expect(Object.keys(((await row(id))?.value ?? {}) as object)).toEqual(['a']);
  });

  it('merges patches that arrive together and go in one push group, as if each came alone', async () => {
    // A store that counts transactions: pushes sent in one turn are applied in one (push-groups.ts).
    let transactions = 0;
    const store = new Proxy(opened.store, {
      get(target, name) {
        const member: unknown = Reflect.get(target, name);
        if (typeof member !== 'function') return member;
        const bound = (member as (...args: unknown[]) => unknown).bind(target);
        return name === 'transaction' ? (...args: unknown[]) => (transactions++, bound(...args)) : bound;
      },
    });
    const grouped = createSyncServer({ store, limits: { maxValueBytes: 200 } });
    const [ga, gb] = [replica(() => grouped, randomUUID()), replica(() => grouped, randomUUID())];
    const id = fresh();
    const base = (await ga.put(id, { title: 'milk', done: false, by: 'nobody' })).newCursor;
    const before = transactions;
    wall += 10;
    // B's edit of `by` is the older one (made offline): it loses that field, keeps `done`.
    const [fromA, fromB] = await Promise.all([
      ga.patch(id, [{ path: ['title'], value: 'oat milk' }, { path: ['by'], value: 'a' }], base),
      (wall -= 5, gb.patch(id, [{ path: ['done'], value: true }, { path: ['by'], value: 'b' }], base)),
    ]);
    expect(transactions - before).toBe(1);
    expect((await row(id))?.value).toEqual({ title: 'oat milk', done: true, by: 'a' });
    // A went first and met nothing; B met A's write, not yet committed, as it would have after A's commit,
    // and is answered with the record as its push left it.
    expect(fromA.conflicts).toEqual([]);
    expect(fromB.conflicts).toEqual([expect.objectContaining({ id, server: expect.objectContaining({ value: { title: 'oat milk', done: true, by: 'a' } }) })]);
  });

  it('refuses patches outside the field policy, and patches whose paths overlap', async () => {
    const change = (fields: FieldPatch[]) => ({ seq: 1, source: SOURCE_A, collective: 'todos', id: 'x', op: 'patch', fields, hlc: formatHlc({ wallMs: ++wall, counter: 0, node: SOURCE_A }), baseVersion: null });
    await expect(server.handlePush({ instanceId: SOURCE_A, policy: 'last-write-wins', changes: [change([{ path: ['a'], value: 1 }])] })).rejects.toMatchObject({
      code: 'INVALID_PAYLOAD',
      message: expect.stringContaining('a patch needs policy "field-last-write-wins"'),
    });
    for (const fields of [[{ path: ['a'], value: 1 }, { path: ['a', 'b'], value: 2 }], [{ path: [], value: 1 }], []]) {
      await expect(server.handlePush({ instanceId: SOURCE_A, policy: FIELDS, changes: [change(fields)] })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    }
  });
});
