/**
 * Chaos seeds of field-last-write-wins kept by number (they replay exactly: in-process,
 * no users): the seeds that found a bug of the field code, which must keep converging,
 * and seeds that fail for a gap outside it, pinned with why: each `it.fails` passes
 * while the gap is open and fails once it closes (then move the seed up here).
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

describe('chaos seeds of field-last-write-wins pinned on a known gap', () => {
  // The client reset's snapshot: replica 1 wrote tags/e alone (pushed, acknowledged).
  // Its pull from 0 was answered with a mark; the next page (from 2) was asked for
  // without the mark, so the server left the replica's own row out (echo prevention),
  // and the snapshot's end dropped tags/e as not brought: the replica no longer holds
  // a record the server does. Likely: `pullBatches` reads the stored mark before the
  // cursor, and another tab's first page of the snapshot committed in between (the
  // scenario's 'second tab'). Reset code (engine/pull.ts, store/pull-snapshot.ts).
  it.fails('seed 266: a snapshot page asked for without its mark drops an own record', async () => {
    const { problems } = await runChaosScenario(266, policyNamed('field-last-write-wins'), emptyStats());
    // Only this problem keeps it failing: another (or none) makes the pin fail, and shows.
    expect(problems.filter((problem) => problem.startsWith('replica 1, tags (synced): holds'))).toEqual([]);
  });
});
