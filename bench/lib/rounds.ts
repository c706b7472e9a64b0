/**
 * The one way every section measures: rounds. In each round a comparison runs its
 * subject (pulsesync) and each of its references (the plain-IndexedDB limits, the
 * peers, the parts) once, in an order that alternates from round to round — subject
 * first on even rounds, last (references in reverse) on odd ones — so neither side
 * always gets the warmer cache or the quieter moment. A ratio is taken per round,
 * between figures measured minutes apart at most, and reported as the median and range
 * of those per-round ratios: on a shared, noisy machine that holds far better than a
 * ratio of two medians taken at different times. Before each run the bench's own
 * processes are let settle (settle.ts), so no run pays for the previous one's
 * background work.
 *
 * Ratios are speeds: subject ÷ reference for figures where higher is better (rec/s),
 * reference ÷ subject where lower is better (ms). Above 1 the subject is faster.
 */
import type { Budget } from './budget.ts';
import { settle } from './settle.ts';
import { summarize, type Summary } from './stats.ts';
import { meets, type Target } from './targets.ts';

/** Whether a larger figure is better (throughput) or worse (time, size). */
export type Better = 'higher' | 'lower';

/** What one run measured: the figure, side figures by key, and a line of information. */
export interface Sample {
  readonly value: number;
  readonly side?: Readonly<Record<string, number>>;
  readonly info?: string;
}

/** One way of doing what a comparison measures. */
export interface Runner {
  readonly label: string;
  /** Run once before round 1, unmeasured (JIT, database files, server caches). */
  warmUp?(): Promise<void>;
  /** One measured run; a bare number is the figure. */
  run(round: number): Promise<Sample | number>;
}

/** What a reference is to the subject. */
export type Role = 'limit' | 'peer' | 'part';

/** A figure the subject is compared with, measured in the same round. */
export interface Reference extends Runner {
  /** limit: plain IndexedDB doing the same; peer: another library; part: one half of the subject's work. */
  readonly role: Role;
  /** The ratio the subject must reach against this reference. */
  readonly target?: number;
}

/** A figure the subject's runs report besides their main one (a heap peak, a long task). */
export interface SideFigure {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly target?: Target;
}

/** A subject and what it is compared with. */
export interface Comparison {
  readonly label: string;
  readonly unit: string;
  readonly better: Better;
  readonly subject: Runner;
  readonly references?: readonly Reference[];
  readonly side?: readonly SideFigure[];
  /** A bound on the subject's own figure (e.g. p50 < 50 ms). */
  readonly target?: Target;
  readonly note?: string;
}

/** One runner's figures over the rounds (NaN for a round that failed). */
export interface SeriesResult {
  readonly label: string;
  readonly samples: readonly number[];
  readonly summary: Summary;
  readonly errors: readonly string[];
  readonly infos: readonly string[];
}

/** A reference's figures and the per-round ratios of the subject to it. */
export interface ReferenceResult extends SeriesResult {
  readonly role: Role;
  readonly ratios: readonly number[];
  readonly ratio: Summary;
  readonly target?: number;
  readonly met?: boolean;
}

/** A side figure over the rounds. */
export interface SideResult {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly samples: readonly number[];
  readonly summary: Summary;
  readonly target?: Target;
  readonly met?: boolean;
}

/** Everything one comparison measured. */
export interface ComparisonResult {
  readonly section: string;
  readonly label: string;
  readonly unit: string;
  readonly better: Better;
  readonly subject: SeriesResult & { readonly target?: Target; readonly met?: boolean };
  readonly references: readonly ReferenceResult[];
  readonly side: readonly SideResult[];
  readonly rounds: number;
  readonly note?: string;
}

/** What {@link runRounds} needs. */
export interface RoundsPlan {
  readonly section: string;
  readonly rounds: number;
  readonly comparisons: readonly Comparison[];
  /** When to stop starting rounds: a round starts only if one as long as the longest so far still fits. */
  readonly budget: Budget;
  readonly log: (message: string) => void;
  readonly beforeRound?: (round: number) => Promise<void>;
  /** Waits before each measured run; default: until this process's children are quiet (settle.ts). */
  readonly settle?: () => Promise<unknown>;
  /** Runs after every round, even a failed one (cleanup). */
  readonly afterRound?: (round: number) => Promise<void>;
}

/** The figures of every comparison, and how many rounds ran (fewer than asked if the budget ran out). */
export interface RoundsOutcome {
  readonly results: ComparisonResult[];
  readonly roundsRun: number;
  readonly roundsAsked: number;
}

const message = (error: unknown): string => (error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error));

/** The order of a comparison's runners in round `round`: indexes, 0 = subject. */
export function runOrder(references: number, round: number): number[] {
  const order = Array.from({ length: references + 1 }, (_, i) => i);
  return round % 2 === 0 ? order : order.reverse();
}

/** The subject's speed relative to the reference's in one round. */
function ratioOf(better: Better, subject: number, reference: number): number {
  if (!Number.isFinite(subject) || !Number.isFinite(reference) || subject <= 0 || reference <= 0) return Number.NaN;
  return better === 'higher' ? subject / reference : reference / subject;
}

interface Collected {
  values: number[];
  sides: Map<string, number>[];
  errors: string[];
  infos: string[];
}

async function measure(runner: Runner, round: number, into: Collected, log: (m: string) => void): Promise<void> {
  try {
    const sample = await runner.run(round);
    const s: Sample = typeof sample === 'number' ? { value: sample } : sample;
    into.values[round] = s.value;
    into.sides[round] = new Map(Object.entries(s.side ?? {}));
    // A run's line of information describes that run: keep the last round's.
    if (s.info !== undefined) into.infos = [s.info];
  } catch (error) {
    into.values[round] = Number.NaN;
    into.sides[round] = new Map();
    into.errors.push(`round ${round + 1}: ${message(error)}`);
    log(`${runner.label}: round ${round + 1} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

async function warmUp(runner: Runner, into: Collected, log: (m: string) => void): Promise<void> {
  if (runner.warmUp === undefined) return;
  try {
    await runner.warmUp();
  } catch (error) {
    into.errors.push(`warm-up: ${message(error)}`);
    log(`${runner.label}: warm-up failed: ${message(error)}`);
  }
}

/**
 * Warms every runner up once, then runs up to `plan.rounds` rounds of every comparison
 * (alternating order, see the file comment) while the budget allows, and summarises.
 * A failed run is a NaN in its series and an error line, never the end of the section.
 */
export async function runRounds(plan: RoundsPlan): Promise<RoundsOutcome> {
  const collected = plan.comparisons.map((c) => [c.subject, ...(c.references ?? [])].map((): Collected => ({ values: [], sides: [], errors: [], infos: [] })));
  for (const [ci, c] of plan.comparisons.entries()) {
    const runners = [c.subject, ...(c.references ?? [])];
    for (const [ri, runner] of runners.entries()) await warmUp(runner, collected[ci]?.[ri] as Collected, plan.log);
  }
  let roundsRun = 0;
  let longest = 0;
  for (let round = 0; round < plan.rounds; round++) {
    if (round > 0 && !plan.budget.allows(longest)) {
      plan.log(`${plan.section}: stopping after ${round} round(s): another would pass the section's time budget`);
      break;
    }
    const started = Date.now();
    try {
      await plan.beforeRound?.(round);
      for (const [ci, c] of plan.comparisons.entries()) {
        const runners = [c.subject, ...(c.references ?? [])];
        for (const index of runOrder(runners.length - 1, round)) {
          const runner = runners[index] as Runner;
          const waited = await (plan.settle ?? settle)();
          plan.log(`${plan.section} round ${round + 1}/${plan.rounds}: ${runner.label}${typeof waited === 'number' && waited > 600 ? ` (after ${(waited / 1000).toFixed(1)} s settling)` : ''}`);
          await measure(runner, round, collected[ci]?.[index] as Collected, plan.log);
        }
      }
    } catch (error) {
      plan.log(`${plan.section}: round ${round + 1} could not be set up: ${message(error)}`);
      for (const perComparison of collected) for (const into of perComparison) into.errors.push(`round ${round + 1}: setup failed: ${message(error)}`);
    } finally {
      await plan.afterRound?.(round).catch((error: unknown) => plan.log(`${plan.section}: cleanup after round ${round + 1} failed: ${message(error)}`));
    }
    roundsRun = round + 1;
    longest = Math.max(longest, Date.now() - started);
  }
  const results = plan.comparisons.map((c, ci) => summarise(plan.section, c, collected[ci] as Collected[], roundsRun));
  return { results, roundsRun, roundsAsked: plan.rounds };
}

function series(label: string, into: Collected, rounds: number): SeriesResult {
  const samples = Array.from({ length: rounds }, (_, r) => into.values[r] ?? Number.NaN);
  return { label, samples, summary: summarize(samples), errors: into.errors, infos: into.infos };
}

function summarise(section: string, c: Comparison, collected: readonly Collected[], rounds: number): ComparisonResult {
  const subjectInto = collected[0] as Collected;
  const subject = series(c.subject.label, subjectInto, rounds);
  const references = (c.references ?? []).map((ref, i): ReferenceResult => {
    const s = series(ref.label, collected[i + 1] as Collected, rounds);
    const ratios = s.samples.map((v, r) => ratioOf(c.better, subject.samples[r] ?? Number.NaN, v));
    const ratio = summarize(ratios);
    const met = ref.target === undefined ? undefined : meets({ ratioAtLeast: ref.target }, ratio.median);
    return { ...s, role: ref.role, ratios, ratio, ...(ref.target === undefined ? {} : { target: ref.target }), ...(met === undefined ? {} : { met }) };
  });
  const side = (c.side ?? []).map((figure): SideResult => {
    const samples = Array.from({ length: rounds }, (_, r) => subjectInto.sides[r]?.get(figure.key) ?? Number.NaN);
    const summary = summarize(samples);
    const met = meets(figure.target, summary.median);
    return { key: figure.key, label: figure.label, unit: figure.unit, samples, summary, ...(figure.target === undefined ? {} : { target: figure.target }), ...(met === undefined ? {} : { met }) };
  });
  const subjectMet = meets(c.target, subject.summary.median);
  return {
    section,
    label: c.label,
    unit: c.unit,
    better: c.better,
    subject: { ...subject, ...(c.target === undefined ? {} : { target: c.target }), ...(subjectMet === undefined ? {} : { met: subjectMet }) },
    references,
    side,
    rounds,
    ...(c.note === undefined ? {} : { note: c.note }),
  };
}
