/**
 * Section 7, opt-in (BENCH_MILLION=1): an initial sync of 1,000,000 records of ~250 B,
 * against the plain-IndexedDB limits at the SDK's batching and durability; the worker's
 * peak heap (which must stay bounded: near the 100k figure, not ten times it), the
 * longest main-thread task, and reading the whole collection back afterwards. One
 * round by default (BENCH_MILLION_ROUNDS): a round takes minutes.
 */
import { comparisonNotes, comparisonRows, type SectionReport } from '../lib/report.ts';
import { runRounds, type SideFigure } from '../lib/rounds.ts';
import { RECORD_BYTES, type Section, type SectionContext } from '../lib/section.ts';
import { startSeededServer } from '../lib/seeded-server.ts';
import { syncComparisons } from './initial-sync.ts';
import { dropRound, observeSync, SYNC_SIDE, type SyncRound } from './sync-runners.ts';

const MILLION = { count: 1_000_000, bytes: RECORD_BYTES, collective: 'million' } as const;
/**
 * A peak more than this many times the 100k one means the heap grows with the feed.
 * Not 1: a sampled peak includes garbage not yet collected, and a run ten times longer
 * catches the young generation fuller (seen: 9.2 MB at 100k, 14.1 MB at 1M); growth
 * with the feed would be ten times.
 */
const HEAP_GROWTH_ALLOWED = 2;

async function million(ctx: SectionContext): Promise<SectionReport[]> {
  const b = await ctx.browser();
  // The SDK's batching and durability, seen in an unmeasured 100k sync (a warm-up at a
  // million would cost minutes and tell the same).
  const shape = await observeSync(b, await ctx.seeded(), ctx.log);
  const seeded = await startSeededServer(ctx.root, MILLION, ctx.log);
  try {
    const round: SyncRound = {};
    const { sync, read } = syncComparisons(b, seeded, shape, round, []);
    const heap100k = ctx.shared.get('heapMb100k');
    const side: SideFigure[] = SYNC_SIDE.map((s) =>
      s.key === 'heapMb' && heap100k !== undefined ? { ...s, label: `${s.label}; 100k: ${heap100k.toFixed(1)} MB`, target: { atMost: Math.round(heap100k * HEAP_GROWTH_ALLOWED) } } : s,
    );
    const rounds = Math.max(1, Number(process.env['BENCH_MILLION_ROUNDS'] ?? 1));
    const outcome = await runRounds({
      section: 'million',
      rounds,
      comparisons: [{ ...sync, side }, read],
      budget: ctx.budget,
      log: ctx.log,
      afterRound: () => dropRound(b, round),
    });
    return [
      {
        title: `7 Initial sync of ${MILLION.count.toLocaleString('en-US')} records (BENCH_MILLION=1), then reading them all`,
        rows: outcome.results.flatMap(comparisonRows),
        notes: [
          `the SDK's batching and durability from an unmeasured 100k sync: ${shape.description}`,
          `feed seeded in ${(seeded.seedMs / 1000).toFixed(1)} s; heap target: at most ${HEAP_GROWTH_ALLOWED}× the 100k peak of section 2 in this run (bounded, not growing with the feed)${heap100k === undefined ? ' — section 2 did not run, so no target' : ''}`,
          ...(rounds < 3 ? [`${rounds} round(s) (BENCH_MILLION_ROUNDS): ratio ranges need 2 or more`] : []),
          ...outcome.results.flatMap(comparisonNotes),
        ],
        rounds: { run: outcome.roundsRun, asked: outcome.roundsAsked },
        results: outcome.results,
      },
    ];
  } finally {
    await seeded.stop();
  }
}

/** Section 7 (opt-in). */
export const millionSection: Section = { key: 'million', title: '7 Million', minutes: 45, run: million };
