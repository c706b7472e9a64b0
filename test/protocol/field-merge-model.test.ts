/**
 * Model check of the field-level merge: for each seed, replicas make puts, patches and
 * deletes of one record, push them to a server one change at a time in random order,
 * pull the server's record, and gossip records among themselves in random order. After
 * every delivery the receiver's record must be what the naive model
 * (`field-lww-model.ts`) says of the changes it has seen, and at the end, with
 * everything delivered, every replica and the server hold the model's record.
 *
 * - `FIELD_MODEL_SEEDS=10000 npx vitest run test/protocol/field-merge-model.test.ts` runs more
 *   seeds (default 200), from `FIELD_MODEL_FIRST_SEED` (default 1);
 * - `FIELD_MODEL_SEED=123 …` replays one seed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import { changeWrites, EMPTY_FIELD_RECORD, mergeFieldRecords, recordOfWrites, type FieldRecord } from '../../src/protocol/field-merge.ts';
import { seededRandom, type SeededRandom } from '../../src/testing/seeded-random.ts';
import { modelRecord, type ModelRecord } from './field-lww-model.ts';
import { randomChange, SOURCES, type RecordChange } from './field-changes.ts';

const WRITERS = [...SOURCES, '00000000-0000-7000-8000-00000000000d'];

function seedList(): number[] {
  const one = process.env['FIELD_MODEL_SEED'];
  if (one !== undefined && one !== '') return [Number(one)];
  const count = Number(process.env['FIELD_MODEL_SEEDS'] ?? 200);
  const first = Number(process.env['FIELD_MODEL_FIRST_SEED'] ?? 1);
  return Array.from({ length: count }, (_, i) => first + i);
}

/** A party to the run: what it holds and which changes it has seen. */
interface Node {
  readonly name: string;
  record: FieldRecord;
  readonly seen: Map<string, RecordChange>;
}

const totals = { seeds: 0, changes: 0, patches: 0, deliveries: 0, checks: 0 };

function keyOf(change: RecordChange): string {
  return `${change.hlc}|${change.source}`;
}

/** What `node` holds, in the model's terms. */
function asModel(record: FieldRecord): ModelRecord {
  return {
    value: record.op === 'put' ? record.value : undefined,
    stamps: record.fields.map((s) => `${JSON.stringify(s.path)}|${s.hlc}|${s.source}|${s.deleted === true ? 'deleted' : 'set'}`).sort(),
  };
}

function check(node: Node, seed: number, step: string): void {
  totals.checks++;
  expect(asModel(node.record), `seed ${seed}, ${step}: ${node.name} differs from the model; replay with FIELD_MODEL_SEED=${seed}`).toEqual(modelRecord(node.seen.values()));
}

function takeIn(to: Node, from: Node, seed: number, step: string): void {
  to.record = mergeFieldRecords(to.record, from.record);
  for (const [key, change] of from.seen) to.seen.set(key, change);
  totals.deliveries++;
  check(to, seed, step);
}

function runSeed(seed: number): void {
  const random: SeededRandom = seededRandom(seed);
  const writers = random.int(2, 4);
  const replicas: Node[] = Array.from({ length: writers }, (_, i) => ({ name: `replica ${i}`, record: EMPTY_FIELD_RECORD, seen: new Map() }));
  const server: Node = { name: 'server', record: EMPTY_FIELD_RECORD, seen: new Map() };
  const outboxes: RecordChange[][] = replicas.map(() => []);
  const counters = replicas.map(() => 0);
  const all: RecordChange[] = [];
  const steps = random.int(10, 60);
  for (let step = 0; step < steps; step++) {
    const i = random.int(0, writers - 1);
    const replica = replicas[i] as Node;
    const action = random.int(0, 9);
    if (action <= 3) {
      // A local change: clocks from a few milliseconds, so writers tie often.
      // Now and then a clock whose node is another id (a renewed identity): ties go to the source.
      const source = WRITERS[i] as string;
      const hlc = formatHlc({ wallMs: random.int(1, 5), counter: counters[i]++ as number, node: random.chance(0.1) ? (WRITERS[0] as string) : source });
      const change = randomChange(random, { hlc, source });
      all.push(change);
      totals.changes++;
      if (change.op === 'patch') totals.patches++;
      replica.record = mergeFieldRecords(replica.record, recordOfWrites(changeWrites(change)));
      replica.seen.set(keyOf(change), change);
      (outboxes[i] as RecordChange[]).push(change);
      check(replica, seed, `step ${step} (local change)`);
    } else if (action <= 5) {
      pushSome(random, outboxes[i] as RecordChange[], server, seed, step);
    } else if (action <= 7) {
      takeIn(replica, server, seed, `step ${step} (pull)`);
    } else {
      takeIn(replica, random.pick(replicas), seed, `step ${step} (gossip)`);
    }
  }
  // Deliver everything: every outbox to the server, the server to everyone.
  for (const outbox of outboxes) while (outbox.length > 0) pushSome(random, outbox, server, seed, steps);
  for (const replica of replicas) takeIn(replica, server, seed, 'final pull');
  const expected = modelRecord(all);
  for (const node of [server, ...replicas]) expect(asModel(node.record), `seed ${seed}: ${node.name} at the end; replay with FIELD_MODEL_SEED=${seed}`).toEqual(expected);
  totals.seeds++;
}

/** The server takes some changes of an outbox, one by one, in random order (a reordering network). */
function pushSome(random: SeededRandom, outbox: RecordChange[], server: Node, seed: number, step: number): void {
  for (let n = random.int(1, outbox.length); n > 0 && outbox.length > 0; n--) {
    const [change] = outbox.splice(random.int(0, outbox.length - 1), 1) as [RecordChange];
    server.record = mergeFieldRecords(server.record, recordOfWrites(changeWrites(change)));
    server.seen.set(keyOf(change), change);
    totals.deliveries++;
    check(server, seed, `step ${step} (push)`);
  }
}

describe('field-level last-write-wins against its model', () => {
  const seeds = seedList();
  afterAll(() => console.log(`field model check: seeds ${seeds[0]}..${seeds[seeds.length - 1]}, ${JSON.stringify(totals)}`));
  // One test for all seeds (they are quick): its time grows with their number (~3 ms each).
  it(`agrees with the model for ${seeds.length} seeds`, () => {
    for (const seed of seeds) runSeed(seed);
    expect(totals.seeds).toBe(seeds.length);
    expect(totals.patches).toBeGreaterThan(0);
  }, Math.max(30_000, seeds.length * 20));
});
