/**
 * BENCH_PROFILE=1: a CPU profile of the SDK's worker during one 100k initial sync —
 * CDP `Profiler` on the worker's own target — printed as the ten functions with the
 * most self time (function, source file:line, ms). The page is built unminified with
 * source maps for this (names kept, lines mapped back to source); the code is the same,
 * and the sync's rate under the profiler is shown only to place the profile, not as a
 * figure (sampling slows it).
 */
import { openBenchBrowser } from '../lib/bench-browser.ts';
import { sourceLocator, topSelfTime, type CpuProfile, type SelfTimeTop } from '../lib/cpu-profile.ts';
import { figureRow, formatValue, type SectionReport } from '../lib/report.ts';
import { freshName, type Section, type SectionContext } from '../lib/section.ts';
import { perSecond } from '../lib/stats.ts';
import { observeSync } from './sync-runners.ts';

/** Sampling interval, µs: fine enough for a sync of seconds, small enough a profile to ship over CDP. */
const SAMPLING_US = 200;
const TOP = 10;

function profileTable(top: SelfTimeTop): string[] {
  const rows = top.entries.map((e, i) => [`${i + 1}`.padStart(2), e.functionName, e.location, formatValue(e.selfMs, 'ms'), `${(e.share * 100).toFixed(1)}%`]);
  const header = ['#', 'function', 'file:line', 'self ms', 'of busy'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (c: readonly string[]): string => c.map((x, i) => (i >= 3 ? x.padStart(widths[i] as number) : x.padEnd(widths[i] as number))).join('  ').trimEnd();
  return [
    `CPU profile of the worker during one 100k initial sync: ${formatValue(top.totalMs, 'ms')} ms sampled every ${SAMPLING_US} µs, ${formatValue(top.busyMs, 'ms')} ms of it busy (not idle). Top ${TOP} by self time:`,
    line(header),
    ...rows.map(line),
  ];
}

async function profile(ctx: SectionContext): Promise<SectionReport[]> {
  const seeded = await ctx.seeded();
  const b = await openBenchBrowser(ctx.log, true);
  try {
    const shape = await observeSync(b, seeded, ctx.log); // warm-up, unprofiled
    const client = await b.openClient({ name: freshName('profile'), url: seeded.url, token: seeded.token });
    try {
      const worker = client.worker;
      if (worker === undefined) throw new Error('could not attach to the worker');
      await worker.send('Profiler.enable');
      await worker.send('Profiler.setSamplingInterval', { interval: SAMPLING_US });
      await worker.send('Profiler.start');
      const sync = await b.call('sdkInitialSync', { name: client.name });
      const { profile: cpu } = await worker.send<{ profile: CpuProfile }>('Profiler.stop', {}, 120_000);
      await worker.send('Profiler.disable').catch(() => undefined);
      const top = topSelfTime(cpu, TOP, sourceLocator(b.pages.outDir, ctx.root, [b.pages.sourceDir]));
      return [
        {
          title: `8 CPU profile (BENCH_PROFILE=1): the worker during one initial sync of ${seeded.count.toLocaleString('en-US')} records`,
          rows: [figureRow('client.initialSync() under the profiler (not a figure: sampling slows it)', perSecond(sync.count, sync.ms), 'rec/s')],
          notes: [
            `unminified build with source maps, CDP Profiler on the worker target; the SDK committed ${shape.description}`,
            'self time: time in the function itself, not its callees; (program) is V8/Blink native work not attributed to JS, (garbage collector) is GC',
          ],
          appendix: profileTable(top),
          data: top,
        },
      ];
    } finally {
      await client.close();
    }
  } finally {
    await b.close();
  }
}

/** Section 8 (BENCH_PROFILE=1, alone). */
export const profileSection: Section = { key: 'profile', title: '8 CPU profile', minutes: 6, run: profile };
