/**
 * Chaos seeds of server-wins kept by number, over the in-process transport (no users:
 * they replay exactly), as `CHAOS_TRANSPORT=memory` ran them.
 *
 * 3391, 4168: a replica's pushed write, accepted, was later replaced on the server by a
 * change whose writer had not seen it, and the server marked the change (`over`). Under
 * server-wins the replica read that mark as a last-write-wins conflict, found its own
 * write later by the clock, and kept it: it held a record the server had deleted. A mark
 * is read under last-write-wins only; under server-wins the server's row stands.
 */
import { describe, expect, it } from 'vitest';
import { emptyStats } from './chaos-actions.ts';
import { policyNamed } from './chaos-policies.ts';
import { runChaosScenario } from './chaos-scenario.ts';

describe('chaos seeds of server-wins that found bugs', () => {
  it.each([3391, 4168])('seed %i converges', async (seed) => {
    const { problems } = await runChaosScenario(seed, policyNamed('server-wins'), emptyStats(), { transport: 'memory' });
    expect(problems).toEqual([]);
  });
});
