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
  // replica that may read a collective but not write it (read-only) keeps its own refused
  // writes, merged with what it pulls. Seed 446: replica 3 deleted todos/b (refused),
  // pulled the server's todos/b, and patched its title (refused); it holds the server's
  // fields and its title. Seed 1660 (over HTTP): replica 2 deleted tags/c (refused),
  // patched meta and done (refused), then pulled the server's title; it holds all three.
  // Its refused delete, acknowledged, left no tombstone, so it shadowed nothing pulled
  // later. The check's model (madeBy over the allowed writes and the replica's own) keeps
  // that delete, later by its clock than the server's writes, and expects the replica's
  // patches alone. What a replica keeps of its own refused deletes depends on when each
  // pull came against their acknowledgement, which a model of write sets cannot tell.
  // Both seeds have users (instance keys signed off the event loop) and 1660 runs over
  // HTTP: they do not replay exactly, and the gap shows in some runs only. So each pin
  // tolerates its one known problem and fails on any other (drop the tolerance once the
  // model knows). Replay: CHAOS_POLICY=field-last-write-wins CHAOS_SEED=446 (or 1660)
  // npx vitest run test/engine/chaos-convergence.test.ts
  it.each([
    [446, 'replica 3, todos (read-only): holds ["b",'],
    [1660, 'replica 2, tags (read-only): holds ["c",'],
  ])('seed %i: a read-only replica forgets its own refused delete, which the model keeps; nothing else goes wrong', async (seed, known) => {
    const { problems } = await runChaosScenario(seed, policyNamed('field-last-write-wins'), emptyStats());
    expect(problems.filter((problem) => !problem.startsWith(known))).toEqual([]);
  });
});
