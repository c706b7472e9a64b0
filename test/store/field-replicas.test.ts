/**
 * Replicas under `field-last-write-wins`, end to end through the server: memory and
 * IndexedDB (fake-indexeddb) replicas patch, put and delete shared records on clocks a
 * few milliseconds apart, push their logs (taking in the server states a push answers
 * with conflicts), pull in small pages, in random order. With everything pushed and
 * pulled, every replica holds what the naive model (`test/protocol/field-lww-model.ts`)
 * says of all the changes pushed. Every write a replica is told it lost (a conflict's
 * `fields`) was its own, and lost to a later write. The engine drives these same calls;
 * here the test drives them, in orders the engine would not.
 *
 * - `FIELD_REPLICA_SEEDS=10000 npx vitest run test/store/field-replicas.test.ts` runs
 *   more seeds (default 200);
 * - `FIELD_REPLICA_SEED=123 …` replays one seed.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterAll, describe, expect, it } from 'vitest';
import type { FieldPatch, JsonValue, PushedChange } from '../../src/protocol/types.ts';
import { createSyncServer } from '../../src/server/sync-server.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { openReplica } from '../../src/store/idb-replica.ts';
import { fieldStore } from '../../src/store/field-seam.ts';
import { replicaFields } from '../../src/store/replica-fields.ts';
import { memoryDatabases, memoryReplica } from '../../src/store/memory-replica.ts';
import type { ApplyResult, LocalStore } from '../../src/store/types.ts';
import { compareWrites } from '../../src/protocol/write-order.ts';
import { seededRandom, type SeededRandom } from '../../src/testing/seeded-random.ts';
import { randomChange, type RecordChange } from '../protocol/field-changes.ts';
import { modelRecord } from '../protocol/field-lww-model.ts';

const POLICY = 'field-last-write-wins';
const PEER = 'server';
const IDS = ['t1', 't2'] as const;
const NOW = 1_700_000_000_000;

function seedList(): number[] {
  const one = process.env['FIELD_REPLICA_SEED'];
  if (one !== undefined && one !== '') return [Number(one)];
  return Array.from({ length: Number(process.env['FIELD_REPLICA_SEEDS'] ?? 200) }, (_, i) => i + 1);
}

const totals = { seeds: 0, writes: 0, pushes: 0, conflicts: 0, pulledPages: 0, lostFields: 0 };

/** Checks what a replica was told it lost: its own writes, each to a later one. */
function checkLosses(replica: LocalStore, result: ApplyResult): void {
  for (const conflict of result.conflicts) {
    for (const loss of conflict.report?.fields ?? []) {
      totals.lostFields++;
      expect(loss.had.source, `${replica.name} was told it lost a write of another`).toBe(replica.instanceId);
      expect(compareWrites(loss.won, loss.had), `${replica.name} lost ${JSON.stringify(loss.had)} to an earlier write`).toBeGreaterThan(0);
    }
  }
}

/** Pushes some of the replica's log as the engine would, and acknowledges what the server dealt with. */
async function push(server: ReturnType<typeof createSyncServer>, replica: LocalStore, random: SeededRandom, pushed: Map<string, PushedChange>, all = false): Promise<void> {
  for (;;) {
    const changes = await replica.pendingChanges(all ? 100 : random.int(1, 3));
    if (changes.length === 0) return;
    const answer = await server.handlePush({ instanceId: replica.instanceId, policy: POLICY, changes });
    totals.pushes++;
    for (const change of changes) pushed.set(`${change.source}/${change.seq}`, change);
    // The record as the change found it: merged with what the replica holds (the change included).
    const states = answer.conflicts.flatMap((conflict) => (conflict.server === null ? [] : [conflict.server]));
    totals.conflicts += states.length;
    if (states.length > 0) checkLosses(replica, await replica.applyRemote(states, { policy: POLICY }));
    await replica.acknowledge(PEER, answer.ackedSeq);
    if (!all) return;
  }
}

async function pull(server: ReturnType<typeof createSyncServer>, replica: LocalStore): Promise<void> {
  for (let page = 0; page < 1000; page++) {
    const from = await replica.pullCursor(PEER);
    const answer = await server.handlePull({ instanceId: replica.instanceId, cursor: from, batchSize: 2, fields: true });
    checkLosses(replica, await replica.applyRemote(answer.changes, { policy: POLICY, cursor: { peer: PEER, from, to: answer.newCursor } }));
    totals.pulledPages++;
    if (!answer.hasMore) return;
  }
}

/** What a random change does, through the replica's API. */
async function write(replica: LocalStore, id: string, change: RecordChange): Promise<void> {
  if (change.op === 'put') await replica.put('todos', id, change.value);
  else if (change.op === 'delete') await replica.delete('todos', id);
  else await fieldStore(replica, 'patch').patch('todos', id, change.fields as FieldPatch[]);
}

describe('field-level replicas through the server', () => {
  const seeds = seedList();
  afterAll(() => console.log(`field replicas: seeds ${seeds[0]}..${seeds[seeds.length - 1]}, ${JSON.stringify(totals)}`));

  it.each(seeds)('every replica ends with the model’s records, seed %i (replay with FIELD_REPLICA_SEED)', async (seed) => {
    const random = seededRandom(seed);
    const server = createSyncServer({ store: memoryServerStore(), now: () => NOW + 60_000 });
    let wall = NOW;
    // Each replica's clock runs a few milliseconds off the others: edits are concurrent.
    const clock = () => wall + random.int(0, 5);
    const databases = memoryDatabases();
    const factory = new IDBFactory();
    const replicas = [
      await memoryReplica({ name: 'a', databases, now: clock }),
      await openReplica({ name: 'b', indexedDB: factory, IDBKeyRange, now: clock, fields: replicaFields }),
      await memoryReplica({ name: 'c', databases, now: clock }),
    ];
    const pushed = new Map<string, PushedChange>();
    try {
      for (let step = random.int(10, 40); step > 0; step--) {
        const replica = random.pick(replicas);
        const action = random.int(0, 9);
        wall += random.int(0, 2);
        if (action <= 4) {
          // The stamp is the replica's to make; randomChange only draws what to write.
          await write(replica, random.pick(IDS), randomChange(random, { hlc: '', source: replica.instanceId }));
          totals.writes++;
        } else if (action <= 7) {
          await push(server, replica, random, pushed);
        } else {
          await pull(server, replica);
        }
      }
      for (const replica of replicas) await push(server, replica, random, pushed, true);
      for (const replica of replicas) await pull(server, replica);
      for (const id of IDS) {
        const made = [...pushed.values()].filter((change) => change.id === id) as unknown as RecordChange[];
        const expected: JsonValue | undefined = modelRecord(made).value;
        for (const replica of replicas) {
          expect((await replica.get('todos', id))?.value, `seed ${seed}, ${id} on replica ${replica.name}; replay with FIELD_REPLICA_SEED=${seed}`).toEqual(expected);
        }
      }
      totals.seeds++;
    } finally {
      for (const replica of replicas) replica.close();
      await server.close();
    }
  });
});
