/**
 * Chaos seeds of field-last-write-wins kept by number: the seeds that found a bug of the
 * field code, and those that failed on a gap outside it since closed, which must all
 * keep converging (in-process, no users: they replay exactly). A seed failing for a gap
 * outside the field code is pinned here with why: `it.fails` where it replays exactly,
 * else a test that tolerates that one problem and fails on any other.
 */
import { describe, expect, it } from 'vitest';
import { emptyStats } from './chaos-actions.ts';
import { policyNamed } from './chaos-policies.ts';
import { runChaosScenario } from './chaos-scenario.ts';

describe('chaos seeds of field-last-write-wins that found bugs', () => {
  // 28: a snapshot page that brought a record already merged (by a push answer) wrote
  // nothing, and the snapshot's end dropped the record as not brought.
  // 41: a push answer's conflict bore the record as the change found it; merged into a
  // replica that no longer held the change (another tab's push acknowledged it first,
  // dropping its delete's tombstone), it brought back the record the change deleted.
  it.each([28, 41])('seed %i converges', async (seed) => {
    const { problems } = await runChaosScenario(seed, policyNamed('field-last-write-wins'), emptyStats());
    expect(problems).toEqual([]);
  });
});

describe('chaos seeds of field-last-write-wins that met the client reset', () => {
  // 266: a snapshot page asked for without its mark left the replica's own row out, and
  // the snapshot's end dropped tags/e, which the server held. 22, 57: a replica in a
  // collective it may not read (the 'own' view) missed some of its own refused writes
  // at the end. All three failed on the first client reset and converge on the one that
  // landed (its snapshot note in meta; a restricted reader's answer names the
  // collectives it covers; the stale-pull rule).
  it.each([22, 57, 266])('seed %i converges', async (seed) => {
    const { problems } = await runChaosScenario(seed, policyNamed('field-last-write-wins'), emptyStats());
    expect(problems).toEqual([]);
  });
});

describe('chaos seeds of field-last-write-wins that meet a known gap of the model', () => {
  // The model's gap, not the sync's (the server and every synced replica converge): a
  // replica that may read todos but not write them (read-only) keeps its own refused
  // writes, merged with what it pulls. Replica 3 deleted todos/b (refused), then pulled
  // the server's todos/b and patched its title (refused). The replica holds the server's
  // fields and its title: its refused delete, acknowledged, left no tombstone, so it
  // shadowed nothing it pulled later. The check's model (madeBy over the allowed writes
  // and the replica's own) keeps that delete, whose clock (replica 3's runs ahead) is
  // later than the server's puts, and expects the title alone. What a replica keeps of
  // its own refused deletes depends on when each pull came against their acknowledgement,
  // which a model of write sets cannot tell. Replay: CHAOS_POLICY=field-last-write-wins
  // CHAOS_SEED=446 npx vitest run test/engine/chaos-convergence.test.ts
  // This seed has users, whose instance keys are signed off the event loop: it does not
  // replay exactly, and the gap shows in some runs only. So the pin tolerates the known
  // problem and fails on any other (a plain test; drop the tolerance once the model knows).
  it('seed 446: a read-only replica forgets its own refused delete, which the model keeps; nothing else goes wrong', async () => {
    const { problems } = await runChaosScenario(446, policyNamed('field-last-write-wins'), emptyStats());
    expect(problems.filter((problem) => !problem.startsWith('replica 3, todos (read-only): holds ["b",'))).toEqual([]);
  });
});
