/**
 * Seeded chaos convergence (see `chaos-scenario.ts` for what one scenario does and
 * checks). Seeds are dealt out over the policies of `chaos-policies.ts` in turn (seed 1
 * last-write-wins, seed 2 server-wins, seed 3 field-last-write-wins, judged by the model
 * of `chaos-field-policy.ts`, …).
 *
 * - `CHAOS_SEEDS=1000 npx vitest run test/engine/chaos-convergence.test.ts` runs more seeds
 *   (default 200), from `CHAOS_FIRST_SEED` (default 1);
 * - `CHAOS_POLICY=server-wins …` runs every seed under one policy;
 * - `CHAOS_TRANSPORT=http …` (or `memory`) runs every seed over that transport;
 * - `CHAOS_SEED=123 …` replays one seed (with the same `CHAOS_POLICY`/`CHAOS_TRANSPORT`),
 *   and `CHAOS_TRACE=notes/d` prints the story of one record as it does;
 * - `CHAOS_SQLITE_SEEDS=50 …` runs more of the seeds on the SQLite store (default 10).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteServerStore } from '../../src/server/sqlite.ts';
import { emptyStats, type ScenarioStats } from './chaos-actions.ts';
import { CHAOS_POLICIES, policyNamed, type ChaosPolicy } from './chaos-policies.ts';
import { runChaosScenario, type ScenarioOptions } from './chaos-scenario.ts';
import { describeShape, type SeedShape } from './chaos-shape.ts';

const env = (name: string): string | undefined => (process.env[name] === '' ? undefined : process.env[name]);

function seedList(): number[] {
  const one = env('CHAOS_SEED');
  if (one !== undefined) return [Number(one)];
  const count = Number(env('CHAOS_SEEDS') ?? 200);
  const first = Number(env('CHAOS_FIRST_SEED') ?? 1);
  return Array.from({ length: count }, (_, i) => first + i);
}

const fixedPolicy = env('CHAOS_POLICY');
const policyOf = (seed: number): ChaosPolicy =>
  fixedPolicy !== undefined ? policyNamed(fixedPolicy) : (CHAOS_POLICIES[(((seed - 1) % CHAOS_POLICIES.length) + CHAOS_POLICIES.length) % CHAOS_POLICIES.length] as ChaosPolicy);
const transport = env('CHAOS_TRANSPORT');
if (transport !== undefined && transport !== 'http' && transport !== 'memory') throw new Error(`CHAOS_TRANSPORT must be http or memory, got ${transport}`);
const overrides: ScenarioOptions = transport === undefined ? {} : { transport };

/** The command that replays `seed` as it ran here. */
function replay(seed: number, extra = ''): string {
  const fixed = [fixedPolicy === undefined ? '' : `CHAOS_POLICY=${fixedPolicy} `, transport === undefined ? '' : `CHAOS_TRANSPORT=${transport} `].join('');
  return `${fixed}${extra}CHAOS_SEED=${seed} npx vitest run test/engine/chaos-convergence.test.ts`;
}

function failure(seed: number, policy: ChaosPolicy, shape: SeedShape, command: string): string {
  // In-process seeds without users replay exactly; the network, and instance keys (signed
  // by WebCrypto off the event loop), bring timing of their own.
  const network =
    shape.transport === 'http'
      ? ' (over HTTP the network may order concurrent calls differently on replay)'
      : shape.users === undefined
        ? ''
        : ' (instance keys are signed off the event loop: concurrent calls may be ordered differently on replay)';
  return `seed ${seed} (${policy.name}; ${describeShape(shape)}) broke its promises; replay with ${command}${network}`;
}

const seeds = seedList();
const totals = new Map<string, ScenarioStats>();

describe('chaos convergence', () => {
  for (const seed of seeds) {
    const policy = policyOf(seed);
    it(`converges for seed ${seed} (${policy.name}; replay with CHAOS_SEED=${seed})`, async () => {
      const stats = totals.get(policy.name) ?? emptyStats();
      totals.set(policy.name, stats);
      const { problems, shape } = await runChaosScenario(seed, policy, stats, overrides);
      expect(problems, failure(seed, policy, shape, replay(seed))).toEqual([]);
    });
  }

  // Some features come to one seed in eight: a hundred seeds make sure each policy met all.
  it.runIf(seeds.length >= 100)('injected every kind of fault and exercised every feature, under every policy', () => {
    console.log('chaos totals', JSON.stringify(Object.fromEntries(totals)));
    for (const [policy, stats] of totals) {
      for (const [name, count] of Object.entries(stats)) {
        if ((transport === 'memory' && name === 'httpSeeds') || name === 'refusedHeld') continue;
        expect(count, `${policy}: ${name}`).toBeGreaterThan(0);
      }
    }
  });
});

/** A few seeds on the SQLite store: the same rules must hold whatever the server stores in. */
const sqliteSeeds = env('CHAOS_SEED') === undefined ? Number(env('CHAOS_SQLITE_SEEDS') ?? 10) : 0;
describe.runIf(sqliteSeeds > 0)('chaos convergence on SQLite', () => {
  let dir = '';
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'pulsesync-chaos-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (let seed = 1; seed <= sqliteSeeds; seed++) {
    const policy = policyOf(seed);
    it(`converges for seed ${seed} (${policy.name})`, async () => {
      const options: ScenarioOptions = { ...overrides, makeServerStore: () => sqliteServerStore(join(dir, `seed-${seed}.db`)) };
      const { problems, shape } = await runChaosScenario(seed, policy, emptyStats(), options);
      expect(problems, failure(seed, policy, shape, `CHAOS_SEEDS=0 CHAOS_SQLITE_SEEDS=${seed} npx vitest run test/engine/chaos-convergence.test.ts`)).toEqual([]);
    });
  }
});
