/**
 * The field-level merge's laws and rules. The laws (commutative, associative,
 * idempotent) are properties over random changes (`field-changes.ts`), drawn by
 * fast-check from FIELD_MERGE_SEED (printed); FIELD_MERGE_RUNS sets how many:
 *   FIELD_MERGE_RUNS=20000 npx vitest run test/protocol/field-merge.test.ts
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import { canonicalJson } from '../../src/protocol/field-path.ts';
import {
  asFieldRecord,
  changeWrites,
  EMPTY_FIELD_RECORD,
  mergeFieldRecords,
  recordOfWrites,
  writesOfRecord,
  type FieldRecord,
} from '../../src/protocol/field-merge.ts';
import type { FieldPatch, JsonValue } from '../../src/protocol/types.ts';
import { changes, SOURCES, type RecordChange } from './field-changes.ts';

const SEED = Number(process.env['FIELD_MERGE_SEED'] ?? 20_260_214);
const RUNS = Number(process.env['FIELD_MERGE_RUNS'] ?? 300);
afterAll(() => console.log(`field merge properties: seed ${SEED}, ${RUNS} runs each (FIELD_MERGE_SEED, FIELD_MERGE_RUNS)`));

const [A, B] = SOURCES;
const at = (wallMs: number, source: string = A) => ({ hlc: formatHlc({ wallMs, counter: 0, node: source }), source });

/**
 * The record a replica holds after seeing `seen` in this order; a change with a
 * `version` came from the server, which numbered it.
 */
function replay(seen: readonly (RecordChange & { version?: number })[]): FieldRecord {
  return seen.reduce((held, { version, ...change }) => {
    const writes = changeWrites(change).map((write) => (version === undefined ? write : { ...write, version }));
    return mergeFieldRecords(held, recordOfWrites(writes));
  }, EMPTY_FIELD_RECORD);
}

function text(record: FieldRecord): string {
  return canonicalJson(record as unknown as JsonValue);
}

/**
 * One replica's view of `all`: some of the changes, in some order, each as its writer
 * made it or as the server fed it (with the version the server gave it, its index + 1).
 */
function someOf(all: readonly RecordChange[]): fc.Arbitrary<FieldRecord> {
  const copies = all.map((change, i) => fc.boolean().map((served) => (served ? { ...change, version: i + 1 } : change)));
  return fc
    .tuple(...copies)
    .chain((seen) => fc.subarray(seen))
    .chain((some) => fc.shuffledSubarray(some, { minLength: some.length }))
    .map(replay);
}

/** Three records made of overlapping random subsets of one set of changes. */
const threeRecords = changes.chain((all) => fc.tuple(someOf(all), someOf(all), someOf(all)));

function property(name: string, check: (records: [FieldRecord, FieldRecord, FieldRecord]) => void): void {
  it(name, () => {
    fc.assert(fc.property(threeRecords, check), { seed: SEED, numRuns: RUNS });
  });
}

describe('field merge laws', () => {
  property('is commutative: a with b is b with a', ([a, b]) => {
    expect(text(mergeFieldRecords(a, b))).toBe(text(mergeFieldRecords(b, a)));
  });

  property('is associative: (a with b) with c is a with (b with c)', ([a, b, c]) => {
    expect(text(mergeFieldRecords(mergeFieldRecords(a, b), c))).toBe(text(mergeFieldRecords(a, mergeFieldRecords(b, c))));
  });

  property('is idempotent: a with a is a, and a again changes nothing', ([a, b]) => {
    expect(text(mergeFieldRecords(a, a))).toBe(text(a));
    const ab = mergeFieldRecords(a, b);
    expect(text(mergeFieldRecords(ab, a))).toBe(text(ab));
  });

  it('gives one record for one set of changes, whatever order they arrive in', () => {
    fc.assert(
      fc.property(
        changes.chain((all) => fc.tuple(fc.constant(all), fc.shuffledSubarray(all, { minLength: all.length }))),
        ([inOrder, shuffled]) => {
          expect(text(replay(shuffled))).toBe(text(replay(inOrder)));
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('reads back from a record exactly the record (writes less what is hidden)', () => {
    fc.assert(
      fc.property(changes, (all) => {
        const record = replay(all);
        expect(text(recordOfWrites(writesOfRecord(record)))).toBe(text(record));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('field merge rules', () => {
  const put = (value: JsonValue, wallMs: number, source?: string): RecordChange => ({ op: 'put', value, ...at(wallMs, source) });
  const patch = (fields: FieldPatch[], wallMs: number, source?: string): RecordChange => ({
    op: 'patch',
    fields,
    ...at(wallMs, source),
  });
  const del = (wallMs: number, source?: string): RecordChange => ({ op: 'delete', ...at(wallMs, source) });
  const value = (record: FieldRecord) => (record.op === 'put' ? record.value : undefined);

  it('keeps concurrent patches of different fields, both', () => {
    const todo = put({ title: 'milk', done: false }, 1);
    expect(value(replay([todo, patch([{ path: ['title'], value: 'oat milk' }], 2, A), patch([{ path: ['done'], value: true }], 2, B)]))).toEqual({
      title: 'oat milk',
      done: true,
    });
  });

  it('settles one field by the later clock, and equal clocks by the higher instance id', () => {
    expect(value(replay([patch([{ path: ['t'], value: 'late' }], 3, A), patch([{ path: ['t'], value: 'early' }], 2, B)]))).toEqual({ t: 'late' });
    // Same clock text, two writers (a renewed identity keeps its clock): the higher id wins.
    const tie = formatHlc({ wallMs: 5, counter: 0, node: A });
    const fromA: RecordChange = { op: 'patch', fields: [{ path: ['t'], value: 'a' }], hlc: tie, source: A };
    const fromB: RecordChange = { op: 'patch', fields: [{ path: ['t'], value: 'b' }], hlc: tie, source: B };
    expect(value(replay([fromA, fromB]))).toEqual({ t: 'b' });
    expect(value(replay([fromB, fromA]))).toEqual({ t: 'b' });
  });

  it('treats a put as a write of every field: older fields go, newer ones stay on top', () => {
    const older = patch([{ path: ['extra'], value: 1 }], 1, B);
    const newer = patch([{ path: ['done'], value: true }], 3, B);
    expect(value(replay([older, newer, put({ title: 'x' }, 2)]))).toEqual({ title: 'x', done: true });
  });

  it('writes a nested path beside the parent’s other keys, and a newer parent hides it', () => {
    const parent = put({ address: { city: 'Lyon', zip: '69001' } }, 1);
    const city = patch([{ path: ['address', 'city'], value: 'Paris' }], 2, B);
    expect(value(replay([parent, city]))).toEqual({ address: { city: 'Paris', zip: '69001' } });
    const newAddress = patch([{ path: ['address'], value: { city: 'Nice' } }], 3);
    expect(value(replay([city, newAddress, parent]))).toEqual({ address: { city: 'Nice' } });
  });

  it('makes the values above a nested write objects, and deletes a field with a patch entry without a value', () => {
    expect(value(replay([put({ a: 5, b: 1 }, 1), patch([{ path: ['a', 'x'], value: 1 }, { path: ['b'] }], 2)]))).toEqual({ a: { x: 1 } });
  });

  it('lets a delete later than a patch remove the record, patch and all', () => {
    const record = replay([put({ title: 'x' }, 1), patch([{ path: ['done'], value: true }], 2, B), del(3)]);
    expect(record.op).toBe('delete');
  });

  it('lets a patch later than a delete bring the record back, with only the fields written after the delete', () => {
    const record = replay([put({ title: 'x', done: false }, 1), del(2, B), patch([{ path: ['done'], value: true }], 3)]);
    expect(record).toMatchObject({ op: 'put', value: { done: true } });
    // A patch older than the delete, arriving last, stays hidden.
    expect(value(replay([put({ title: 'x' }, 1), del(3, B), patch([{ path: ['done'], value: true }], 4), patch([{ path: ['title'], value: 'y' }], 2)]))).toEqual({
      done: true,
    });
  });

  it('does not bring a deleted record back with a patch that only deletes fields', () => {
    expect(replay([put({ title: 'x' }, 1), del(2, B), patch([{ path: ['title'] }], 3)]).op).toBe('delete');
  });

  it('reads a record written whole (no stamps) as one write of every field by its writer', () => {
    const whole = asFieldRecord({ op: 'put', value: { title: 'x', done: false }, ...at(4, B), version: 7 });
    expect(whole.fields).toEqual([{ path: [], ...at(4, B), version: 7 }]);
    expect(value(mergeFieldRecords(whole, replay([patch([{ path: ['done'], value: true }], 5)])))).toEqual({ title: 'x', done: true });
    expect(value(mergeFieldRecords(whole, replay([patch([{ path: ['done'], value: true }], 3)])))).toEqual({ title: 'x', done: false });
  });

  it('keeps the copy of a write that carries the server version', () => {
    const mine = recordOfWrites(changeWrites(patch([{ path: ['t'], value: 1 }], 2)));
    const served: FieldRecord = { ...mine, fields: mine.fields.map((stamp) => ({ ...stamp, version: 9 })) };
    expect(mergeFieldRecords(mine, served).fields[0]?.version).toBe(9);
    expect(mergeFieldRecords(served, mine).fields[0]?.version).toBe(9);
  });

  it('applies a put before a patch that shares its stamp (one local write of both), in either order of arrival', () => {
    const both = [put({ title: 'x', done: false }, 2), patch([{ path: ['done'], value: true }], 2)];
    expect(value(replay(both))).toEqual({ title: 'x', done: true });
    expect(value(replay([...both].reverse()))).toEqual({ title: 'x', done: true });
  });

  it('keeps a key named __proto__ as a key', () => {
    const record = replay([patch([{ path: ['__proto__', 'x'], value: 1 }], 1)]);
    expect(JSON.stringify(value(record))).toBe('{"__proto__":{"x":1}}');
    expect(({} as { x?: number }).x).toBeUndefined();
  });
});
