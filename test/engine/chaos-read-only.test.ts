/**
 * The chaos check of a read-only replica under field-last-write-wins
 * (`chaos-read-only.ts`): it takes each record the product may leave there (its refused
 * writes merged with the server's, with or without what its own acknowledged delete
 * dropped) and fails on anything else. Seed 500's story: the server holds `meta` from
 * replica 0; replica 1, which may read todos but not write them, deleted the record and
 * then patched `meta.a`, both refused.
 */
import { describe, expect, it } from 'vitest';
import type { FieldPatch, JsonValue, RecordState } from '../../src/protocol/types.ts';
import type { ServerRecord } from '../../src/server/types.ts';
import type { LocalStore, RecordEntry } from '../../src/store/types.ts';
import { checkReplicas, type EndState } from './chaos-checks.ts';
import { fieldLastWriteWins } from './chaos-field-policy.ts';
import { WriteModel } from './chaos-model.ts';
import type { ChaosServer } from './chaos-server.ts';
import type { ReplicaShape } from './chaos-shape.ts';

const WRITER = 'aaaa';
const READER = 'bbbb';
const clock = (n: number) => `00000000000${n}:000000:x`;
const shapes: readonly ReplicaShape[] = [
  { user: { name: 'writer', token: 'w', rights: {} }, collectives: ['todos'] },
  { user: { name: 'reader', token: 'r', rights: { todos: 'read-only' } }, collectives: ['todos'] },
];
const serverMeta = { w: '0-1', n: 1 };
const serverRow: ServerRecord = {
  collective: 'todos',
  id: 'e',
  op: 'put',
  value: { meta: serverMeta },
  hlc: clock(1),
  source: WRITER,
  version: 1,
  fields: [{ path: ['meta'], hlc: clock(1), source: WRITER }],
};

/** The model: the writer's patch of `meta` (kept by the server), then the reader's `readerWrites` (refused), in order. */
function modelOf(readerWrites: readonly (RecordState | { op: 'patch'; fields: FieldPatch[] })[]): WriteModel {
  const model = new WriteModel((replica) => replica === 0);
  model.logged(0, [{ collective: 'todos', id: 'e', op: 'patch', fields: [{ path: ['meta'], value: serverMeta }], seq: 1, source: WRITER, hlc: clock(1) }], 'app');
  readerWrites.forEach((state, i) => model.logged(1, [{ collective: 'todos', id: 'e', ...state, seq: i + 1, source: READER, hlc: clock(i + 2) }], 'app'));
  return model;
}

/** The problems the check finds when the reader holds `value` (undefined: no record) stamped `hlc`. */
async function problemsWhenReaderHolds(model: WriteModel, value: JsonValue | undefined, hlc: string): Promise<string[]> {
  const held = (index: number): RecordEntry[] => (index === 0 ? [{ collective: 'todos', id: 'e', value: serverRow.value ?? null, hlc: serverRow.hlc, source: WRITER }] : value === undefined ? [] : [{ collective: 'todos', id: 'e', value, hlc, source: READER }]);
  const storeOf = (index: number) => ({ pendingCount: async () => 0, list: async (collective: string) => (collective === 'todos' ? held(index) : []) }) as unknown as LocalStore;
  const state: EndState = {
    policy: fieldLastWriteWins,
    model,
    answers: [],
    server: {} as ChaosServer,
    replicas: shapes.map((shape, index) => ({ index, shape, store: storeOf(index) })),
  };
  const problems: string[] = [];
  await checkReplicas(state, new Map([['todos/e', serverRow]]), problems);
  return problems;
}

const deleteThenPatch = () => modelOf([{ op: 'delete' }, { op: 'patch', fields: [{ path: ['meta', 'a'], value: { w: '1-2', n: 2 } }] }]);

describe('the check of a read-only replica under field-last-write-wins', () => {
  it("takes the server's fields with its later refused patch, once its refused delete was dropped before the server's state came", async () => {
    expect(await problemsWhenReaderHolds(deleteThenPatch(), { meta: { ...serverMeta, a: { w: '1-2', n: 2 } } }, clock(3))).toEqual([]);
  });

  it('takes its refused patch alone, its refused delete still hiding the older server fields', async () => {
    expect(await problemsWhenReaderHolds(deleteThenPatch(), { meta: { a: { w: '1-2', n: 2 } } }, clock(3))).toEqual([]);
  });

  it("fails when its refused patch is lost (the server's record alone)", async () => {
    expect(await problemsWhenReaderHolds(deleteThenPatch(), { meta: serverMeta }, clock(1))).toHaveLength(1);
  });

  it('fails on a value nobody wrote', async () => {
    const problems = await problemsWhenReaderHolds(deleteThenPatch(), { meta: { ...serverMeta, a: { w: '1-2', n: 3 } } }, clock(3));
    expect(problems).toEqual([expect.stringContaining('replica 1, todos (read-only): holds ["e",{"meta":{"w":"0-1","n":1,"a":{"w":"1-2","n":3}}}')]);
  });

  it('fails on the record gone, when its refused patch came after its delete', async () => {
    expect(await problemsWhenReaderHolds(deleteThenPatch(), undefined, clock(3))).toHaveLength(1);
  });

  it('without a delete of its own, nothing is dropped: the server and its refused patch, merged, and nothing less', async () => {
    const patchOnly = () => modelOf([{ op: 'patch', fields: [{ path: ['title'], value: { w: '1-2', n: 2 } }] }]);
    expect(await problemsWhenReaderHolds(patchOnly(), { meta: serverMeta, title: { w: '1-2', n: 2 } }, clock(2))).toEqual([]);
    expect(await problemsWhenReaderHolds(patchOnly(), { title: { w: '1-2', n: 2 } }, clock(2))).toHaveLength(1);
    expect(await problemsWhenReaderHolds(patchOnly(), { meta: serverMeta }, clock(1))).toHaveLength(1);
  });
});
