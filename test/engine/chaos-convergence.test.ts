/**
 * Seeded chaos convergence (see `chaos-scenario.ts` for what one scenario does and
 * checks). Odd seeds run last-write-wins, even seeds server-wins.
 *
 * - `CHAOS_SEEDS=1000 npx vitest run test/engine/chaos-convergence.test.ts` runs more seeds
 *   (default 200: 100 per policy), from `CHAOS_FIRST_SEED` (default 1);
 * - `CHAOS_SEED=123 …` replays one seed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConflictPolicy } from '../../src/protocol/types.ts';
import { sqliteServerStore } from '../../src/server/sqlite.ts';
import { runChaosScenario, type ScenarioStats } from './chaos-scenario.ts';

function seedList(): number[] {
  const one = process.env['CHAOS_SEED'];
  if (one !== undefined && one !== '') return [Number(one)];
  const count = Number(process.env['CHAOS_SEEDS'] ?? 200);
  const first = Number(process.env['CHAOS_FIRST_SEED'] ?? 1);
  return Array.from({ length: count }, (_, i) => first + i);
}

const seeds = seedList();
const totals: Record<Exclude<ConflictPolicy, 'field-last-write-wins'>, ScenarioStats> = {
  'last-write-wins': emptyStats(),
  'server-wins': emptyStats(),
};

function emptyStats(): ScenarioStats {
  return { calls: 0, droppedRequests: 0, droppedResponses: 0, duplicated: 0, lateDuplicated: 0, delayed: 0, writes: 0, conflicts: 0, crashes: 0, secondTabs: 0, backgroundRuns: 0 };
}

describe('chaos convergence', () => {
  for (const seed of seeds) {
    const policy: ConflictPolicy = seed % 2 === 1 ? 'last-write-wins' : 'server-wins';
    it(`converges for seed ${seed} (${policy}; replay with CHAOS_SEED=${seed})`, async () => {
      const problems = await runChaosScenario(seed, policy, totals[policy]);
      expect(problems, `seed ${seed} (${policy}) broke its promises; replay with CHAOS_SEED=${seed}`).toEqual([]);
    });
  }

  it.runIf(seeds.length >= 20)('injected every kind of fault and met conflicts, under both policies', () => {
    for (const [policy, stats] of Object.entries(totals)) {
      for (const [name, count] of Object.entries(stats)) expect(count, `${policy}: ${name}`).toBeGreaterThan(0);
    }
    console.log('chaos totals', JSON.stringify(totals));
  });
});

/** A few seeds on the SQLite store: the same rules must hold whatever the server stores in. */
describe('chaos convergence on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsesync-chaos-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const count = Number(process.env['CHAOS_SQLITE_SEEDS'] ?? 10);
  for (let seed = 1; seed <= count && process.env['CHAOS_SEED'] === undefined; seed++) {
    const policy: ConflictPolicy = seed % 2 === 1 ? 'last-write-wins' : 'server-wins';
    it(`converges for seed ${seed} (${policy})`, async () => {
      const problems = await runChaosScenario(seed, policy, emptyStats(), () => sqliteServerStore(join(dir, `seed-${seed}.db`)));
      expect(problems, `seed ${seed} (${policy}) on SQLite broke its promises; replay with CHAOS_SEEDS=0 CHAOS_SQLITE_SEEDS=${seed}`).toEqual([]);
    });
  }
});
