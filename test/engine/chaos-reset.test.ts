/**
 * Seeded chaos with tombstone gc and client resets (`chaos-reset-scenario.ts` says what
 * one seed does and checks).
 *
 * `CHAOS_RESET_SEEDS=1000 npx vitest run test/engine/chaos-reset.test.ts` runs more
 * seeds (default 150), from `CHAOS_FIRST_SEED` (default 1); `CHAOS_SEED=7` replays one.
 * Odd seeds last-write-wins, even server-wins; every other pair on IndexedDB.
 */
import { describe, expect, it } from 'vitest';
import { emptyTotals, resetSeedShape, runResetScenario } from './chaos-reset-scenario.ts';

function seedList(): number[] {
  const one = process.env['CHAOS_SEED'];
  if (one !== undefined && one !== '') return [Number(one)];
  const count = Number(process.env['CHAOS_RESET_SEEDS'] ?? 150);
  const first = Number(process.env['CHAOS_FIRST_SEED'] ?? 1);
  return Array.from({ length: count }, (_, i) => first + i);
}

describe('chaos with tombstone gc and client resets', () => {
  const totals = emptyTotals();
  const seeds = seedList();
  for (const seed of seeds) {
    const { policy, idb } = resetSeedShape(seed);
    it(`every replica converges for seed ${seed} (${policy}, ${idb ? 'IndexedDB' : 'memory'}; replay with CHAOS_SEED=${seed})`, async () => {
      const problems = await runResetScenario(seed, totals);
      expect(problems, `seed ${seed} broke its promises; replay with CHAOS_SEED=${seed}`).toEqual([]);
    });
  }
  it.runIf(seeds.length >= 20)('swept tombstones, reset replicas and dropped records they missed the delete of', () => {
    console.log('chaos-reset totals', JSON.stringify(totals));
    expect(totals.sweeps).toBeGreaterThan(0);
    expect(totals.resets).toBeGreaterThan(0);
    expect(totals.dropped).toBeGreaterThan(0);
    expect(totals.races).toBeGreaterThan(0);
    expect(totals.offlineStarts).toBeGreaterThan(0);
  });
});
