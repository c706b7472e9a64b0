/**
 * The writes the chaos scenario makes, as a table of ops with weights: a new op (a
 * patch, say) is one more entry. Every value written is `{ w, n }`: `w` names the write
 * (`<replica>-<n>`) so the model can find it anywhere, `n` counts writes across the
 * scenario (the custom resolver merges by it).
 */
import type { SeededRandom } from '../../src/testing/seeded-random.ts';
import type { PatchState, RecordKey } from '../../src/protocol/types.ts';
import type { LocalWrite } from '../../src/store/types.ts';
import { key } from './chaos-model.ts';

/** The records every scenario writes to. */
export const COLLECTIVES: readonly string[] = ['notes', 'todos', 'tags'];
export const IDS: readonly string[] = ['a', 'b', 'c', 'd', 'e', 'f'];

/** A value the scenario writes. */
export interface ChaosValue {
  readonly w: string;
  readonly n: number;
  /** Set by the custom resolver on the values it merges. */
  readonly merged?: true;
}

/** A write the scenario makes: a put or a delete, or a patch where the policy takes them. */
export type ChaosWrite = LocalWrite | (RecordKey & PatchState);

/** One kind of write, drawn with probability proportional to `weight`. */
export interface WriteOp {
  readonly name: string;
  readonly weight: number;
  /** The write of this op on one record; `value()` makes the next fresh value. */
  make(collective: string, id: string, value: () => ChaosValue, random: SeededRandom): ChaosWrite;
}

/** The ops drawn for every write, unless the policy has its own (`ChaosPolicy.ops`). */
export const WRITE_OPS: readonly WriteOp[] = [
  { name: 'put', weight: 8, make: (collective, id, value) => ({ op: 'put', collective, id, value: { ...value() } }) },
  { name: 'delete', weight: 2, make: (collective, id) => ({ op: 'delete', collective, id }) },
];

/** One entry of a weighted table. */
export function pickWeighted<T extends { readonly weight: number }>(random: SeededRandom, table: readonly T[]): T {
  const total = table.reduce((sum, entry) => sum + entry.weight, 0);
  let roll = random.next() * total;
  for (const entry of table) {
    roll -= entry.weight;
    if (roll < 0) return entry;
  }
  return table[table.length - 1] as T;
}

/**
 * Draws 1–4 writes over `collectives`, each record at most once (one transaction's
 * changes share a timestamp).
 */
export function drawWrites(random: SeededRandom, collectives: readonly string[], value: () => ChaosValue, ops: readonly WriteOp[] = WRITE_OPS): ChaosWrite[] {
  const count = random.chance(0.3) ? random.int(2, 4) : 1;
  const writes = new Map<string, ChaosWrite>();
  for (let i = 0; i < count; i++) {
    const collective = random.pick(collectives);
    const id = random.pick(IDS);
    writes.set(key(collective, id), pickWeighted(random, ops).make(collective, id, value, random));
  }
  return [...writes.values()];
}
