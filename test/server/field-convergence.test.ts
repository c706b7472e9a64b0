/**
 * Field-level records through the real server, on each store, against the naive model
 * (`test/protocol/field-lww-model.ts`). Per seed, replicas write random puts, patches
 * and deletes to two shared records, push them in seq order but interleaved at random
 * (now and then losing the answer and sending the batch again), and pull with echo
 * prevention, merging what they pull into their own records. With everything pushed
 * and pulled, the server and every replica hold what the model says of all the changes.
 *
 * - `FIELD_SERVER_SEEDS=200 npx vitest run test/server/field-convergence.test.ts` runs more
 *   seeds per store (default 20 on memory, 4 on SQLite and Postgres);
 * - `FIELD_SERVER_SEED=123 …` replays one seed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import { asFieldRecord, changeWrites, EMPTY_FIELD_RECORD, mergeFieldRecords, recordOfWrites, withVersions, type FieldRecord } from '../../src/protocol/field-merge.ts';
import type { PushedChange } from '../../src/protocol/types.ts';
import { parsePullResponse, parsePushResponse } from '../../src/protocol/validate.ts';
import { createSyncServer, type SyncServer } from '../../src/server/sync-server.ts';
import { seededRandom, type SeededRandom } from '../../src/testing/seeded-random.ts';
import { randomChange, SOURCES, type RecordChange } from '../protocol/field-changes.ts';
import { modelRecord } from '../protocol/field-lww-model.ts';
import { storeKinds } from './http/store-kinds.ts';

const NOW = 1_700_000_000_000;
const IDS = ['t1', 't2'] as const;

function seedsFor(kind: string): number[] {
  const one = process.env['FIELD_SERVER_SEED'];
  if (one !== undefined && one !== '') return [Number(one)];
  const count = Number(process.env['FIELD_SERVER_SEEDS'] ?? (kind === 'memory' ? 20 : 4));
  return Array.from({ length: count }, (_, i) => i + 1);
}

/** One replica: its records, its log of unpushed changes, its cursor and counters. */
interface Replica {
  readonly source: string;
  readonly records: Map<string, FieldRecord>;
  outbox: PushedChange[];
  seq: number;
  counter: number;
  cursor: number;
}

const totals = { seeds: 0, changes: 0, conflictsAnswered: 0, overMarks: 0, resent: 0 };

function mergeInto(replica: Replica, id: string, record: FieldRecord): void {
  replica.records.set(id, mergeFieldRecords(replica.records.get(id) ?? EMPTY_FIELD_RECORD, record));
}

async function pushSome(server: SyncServer, replica: Replica, random: SeededRandom, all: boolean): Promise<void> {
  if (replica.outbox.length === 0) return;
  const batch = replica.outbox.slice(0, all ? replica.outbox.length : random.int(1, replica.outbox.length));
  const request = { instanceId: replica.source, policy: 'field-last-write-wins', changes: batch };
  let answer = parsePushResponse(await server.handlePush(request));
  if (!all && random.chance(0.2)) {
    // The answer was lost: the same batch again, acknowledged and not applied twice.
    totals.resent++;
    answer = parsePushResponse(await server.handlePush(request));
    expect(answer.accepted).toBe(0);
  }
  totals.conflictsAnswered += answer.conflicts.length;
  replica.outbox = replica.outbox.filter((change) => change.seq > answer.ackedSeq);
}

async function pullAll(server: SyncServer, replica: Replica): Promise<void> {
  for (let page = 0; page < 1000; page++) {
    const answer = parsePullResponse(await server.handlePull({ instanceId: replica.source, cursor: replica.cursor, batchSize: 3, fields: true }));
    for (const row of answer.changes) {
      totals.overMarks += row.fields?.filter((stamp) => stamp.over !== undefined).length ?? 0;
      mergeInto(replica, row.id, withVersions(asFieldRecord(row), row.version));
    }
    replica.cursor = answer.newCursor;
    if (!answer.hasMore) return;
  }
}

/** A record in the model's terms (what the naive model compares): value and stamps. */
function view(record: FieldRecord | undefined) {
  const held = record ?? EMPTY_FIELD_RECORD;
  return {
    value: held.op === 'put' ? held.value : undefined,
    stamps: held.fields.map((s) => `${JSON.stringify(s.path)}|${s.hlc}|${s.source}|${s.deleted === true ? 'deleted' : 'set'}`).sort(),
  };
}

describe.each(storeKinds())('field-level records converge through the server ($kind store)', (kind) => {
  const seeds = seedsFor(kind.kind);
  afterAll(() => console.log(`field convergence (${kind.kind}): seeds ${seeds[0]}..${seeds[seeds.length - 1]}, totals so far ${JSON.stringify(totals)}`));

  it.each(seeds)('converges to the model for seed %i (replay with FIELD_SERVER_SEED)', async (seed) => {
    const random = seededRandom(seed);
    const opened = await kind.open(`fields-${seed}`);
    const server = createSyncServer({ store: opened.store, now: () => NOW + 60_000 });
    try {
      const replicas: Replica[] = SOURCES.map((source) => ({ source, records: new Map(), outbox: [], seq: 0, counter: 0, cursor: 0 }));
      const made = new Map<string, RecordChange[]>(IDS.map((id) => [id, []]));
      for (let step = random.int(10, 40); step > 0; step--) {
        const replica = random.pick(replicas);
        const action = random.int(0, 9);
        if (action <= 4) {
          const id = random.pick(IDS);
          // Clocks a few milliseconds apart, so edits are concurrent and tie often.
          const hlc = formatHlc({ wallMs: NOW + random.int(0, 20), counter: replica.counter++, node: replica.source });
          const change = randomChange(random, { hlc, source: replica.source });
          made.get(id)?.push(change);
          totals.changes++;
          mergeInto(replica, id, recordOfWrites(changeWrites(change)));
          replica.outbox.push({ ...change, seq: ++replica.seq, collective: 'todos', id, baseVersion: replica.cursor === 0 ? null : replica.cursor } as PushedChange);
        } else if (action <= 7) {
          await pushSome(server, replica, random, false);
        } else {
          await pullAll(server, replica);
        }
      }
      for (const replica of replicas) await pushSome(server, replica, random, true);
      for (const replica of replicas) await pullAll(server, replica);
      const served = parsePullResponse(await server.handlePull({ instanceId: '0190f5e1-0000-7000-8000-0000000000ff', cursor: 0, batchSize: 100, fields: true })).changes;
      for (const id of IDS) {
        const expected = modelRecord(made.get(id) ?? []);
        const row = served.find((change) => change.id === id);
        const message = `seed ${seed}, record ${id}; replay with FIELD_SERVER_SEED=${seed}`;
        expect(view(row === undefined ? undefined : asFieldRecord(row)), `${message}: the server`).toEqual(expected);
        for (const replica of replicas) expect(view(replica.records.get(id)), `${message}: replica ${replica.source}`).toEqual(expected);
      }
      totals.seeds++;
    } finally {
      await server.close();
      opened.cleanup();
    }
  });
});
