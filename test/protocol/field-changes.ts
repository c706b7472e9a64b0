/**
 * Random changes to one record for the field-merge tests: puts, deletes and patches
 * (set and delete, nested paths) from three replicas, over a few keys so that paths
 * meet often, with clocks that tie often (and a clock whose node is not its writer, as
 * after an identity renewal, so ties go to the instance id).
 */
import fc from 'fast-check';
import { formatHlc } from '../../src/clock/hlc.ts';
import { isPathPrefix } from '../../src/protocol/field-path.ts';
import type { FieldPatch, JsonValue, PatchState, RecordState } from '../../src/protocol/types.ts';
import type { WriteStamp } from '../../src/protocol/write-order.ts';
import type { SeededRandom } from '../../src/testing/seeded-random.ts';

export const SOURCES = ['00000000-0000-7000-8000-00000000000a', '00000000-0000-7000-8000-00000000000b', '00000000-0000-7000-8000-00000000000c'] as const;
export const KEYS = ['a', 'b', 'c'] as const;

/** One change to the record, with its stamp. */
export type RecordChange = (RecordState | PatchState) & WriteStamp;

/** Keeps the paths of a patch that no other path of it holds (the wire refuses overlaps). */
export function prefixFree(fields: readonly FieldPatch[]): FieldPatch[] {
  const kept: FieldPatch[] = [];
  for (const field of fields) {
    if (kept.some((other) => isPathPrefix(other.path, field.path) || isPathPrefix(field.path, other.path))) continue;
    kept.push(field);
  }
  return kept;
}

const leaf: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.integer({ min: 0, max: 9 }),
  fc.constantFrom('x', 'y'),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
);

/** Small JSON values, objects keyed by {@link KEYS} so that they meet nested paths. */
export const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec<{ node: JsonValue }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 3 })),
})).node;

const path = fc.array(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 3 });

const stamp: fc.Arbitrary<WriteStamp> = fc
  .record({ wallMs: fc.integer({ min: 1, max: 4 }), counter: fc.integer({ min: 0, max: 1 }), source: fc.constantFrom(...SOURCES), renewed: fc.boolean() })
  .map(({ wallMs, counter, source, renewed }) => ({ hlc: formatHlc({ wallMs, counter, node: renewed ? (SOURCES[0] as string) : source }), source }));

const state: fc.Arbitrary<RecordState | PatchState> = fc.oneof(
  jsonValue.map((value): RecordState => ({ op: 'put', value })),
  fc.constant<RecordState>({ op: 'delete' }),
  fc
    .array(fc.record({ path, value: fc.option(jsonValue, { nil: undefined }) }), { minLength: 1, maxLength: 3 })
    .map((fields): PatchState => ({ op: 'patch', fields: prefixFree(fields.map((f) => (f.value === undefined ? { path: f.path } : { path: f.path, value: f.value }))) })),
);

/** Changes with distinct stamps, as replicas make them (one stamp, one change). */
export const changes: fc.Arbitrary<RecordChange[]> = fc.uniqueArray(
  fc.tuple(stamp, state).map(([s, st]) => ({ ...st, ...s }) as RecordChange),
  { minLength: 1, maxLength: 8, selector: (change) => `${change.hlc}|${change.source}` },
);

/** A random change for seeded runs: `source` writes at `hlc`. */
export function randomChange(random: SeededRandom, writer: WriteStamp): RecordChange {
  const kind = random.int(0, 9);
  if (kind === 0) return { op: 'delete', ...writer };
  if (kind <= 2) return { op: 'put', value: randomValue(random, 2), ...writer };
  const fields: FieldPatch[] = [];
  for (let i = random.int(1, 3); i > 0; i--) {
    const at = Array.from({ length: random.int(1, 3) }, () => random.pick(KEYS));
    fields.push(random.chance(0.25) ? { path: at } : { path: at, value: randomValue(random, 1) });
  }
  return { op: 'patch', fields: prefixFree(fields), ...writer };
}

function randomValue(random: SeededRandom, depth: number): JsonValue {
  const kind = random.int(0, depth > 0 ? 5 : 3);
  if (kind === 0) return random.int(0, 9);
  if (kind === 1) return random.pick(['x', 'y']);
  if (kind === 2) return null;
  if (kind === 3) return [random.int(0, 3)];
  const value: { [key: string]: JsonValue } = {};
  for (const key of KEYS) if (random.chance(0.5)) value[key] = randomValue(random, depth - 1);
  return value;
}
