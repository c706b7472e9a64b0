/**
 * BENCH_PROFILE=put: where the time of one awaited `client.put` goes (issue 15, target
 * 1). CPU profiles of the worker and of the page, taken together over the same run of
 * awaited puts, each printed as its ten functions with the most self time, and kept as
 * .tmp/put-{worker,page}.cpuprofile. Idle time is
 * the point here too: a put that waits on the browser's IndexedDB process shows up as
 * idle in both threads, work on either side as busy time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CDPSession } from 'playwright-core';
import { openBenchBrowser } from '../lib/bench-browser.ts';
import { sourceLocator, topSelfTime, type CpuProfile, type SelfTimeTop } from '../lib/cpu-profile.ts';
import { figureRow, formatValue, type SectionReport } from '../lib/report.ts';
import { freshName, RECORD_BYTES, type Section, type SectionContext } from '../lib/section.ts';
import { perSecond } from '../lib/stats.ts';

const COUNT = 3_000;
const SAMPLING_US = 100;
const TOP = 12;

function table(title: string, top: SelfTimeTop): string[] {
  const rows = top.entries.map((e, i) => [`${i + 1}`.padStart(2), e.functionName, e.location, formatValue(e.selfMs, 'ms'), `${(e.share * 100).toFixed(1)}%`]);
  const header = ['#', 'function', 'file:line', 'self ms', 'of busy'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (c: readonly string[]): string => c.map((x, i) => (i >= 3 ? x.padStart(widths[i] as number) : x.padEnd(widths[i] as number))).join('  ').trimEnd();
  return [`${title}: ${formatValue(top.totalMs, 'ms')} ms sampled, ${formatValue(top.busyMs, 'ms')} ms busy. Top ${TOP} by self time:`, line(header), ...rows.map(line), ''];
}

async function profilePuts(ctx: SectionContext): Promise<SectionReport[]> {
  const seeded = await ctx.seeded();
  const b = await openBenchBrowser(ctx.log, true);
  try {
    const client = await b.openClient({ name: freshName('profile-put'), url: seeded.url, token: seeded.token });
    try {
      const worker = client.worker;
      if (worker === undefined) throw new Error('could not attach to the worker');
      // Warm-up, unprofiled: the JIT and the database's first pages.
      await b.call('sdkPutOne', { name: client.name, count: 1_000, bytes: RECORD_BYTES });
      const benchPage = b.chromium.context.pages().find((p) => p.url().startsWith(b.pages.url));
      if (benchPage === undefined) throw new Error('no bench page to profile');
      const page: CDPSession = await b.chromium.context.newCDPSession(benchPage);
      for (const s of [worker.send.bind(worker), page.send.bind(page) as (m: string, p?: object) => Promise<unknown>]) {
        await s('Profiler.enable');
        await s('Profiler.setSamplingInterval', { interval: SAMPLING_US });
        await s('Profiler.start');
      }
      const ms = await b.call('sdkPutOne', { name: client.name, count: COUNT, bytes: RECORD_BYTES });
      const { profile: workerCpu } = await worker.send<{ profile: CpuProfile }>('Profiler.stop', {}, 120_000);
      const { profile: pageCpu } = (await page.send('Profiler.stop')) as { profile: CpuProfile };
      await page.detach();
      // Kept for a closer look (DevTools' Performance panel loads .cpuprofile files).
      const dir = join(ctx.root, '.tmp');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'put-worker.cpuprofile'), JSON.stringify(workerCpu));
      writeFileSync(join(dir, 'put-page.cpuprofile'), JSON.stringify(pageCpu));
      const locate = sourceLocator(b.pages.outDir, ctx.root, [b.pages.sourceDir]);
      const workerTop = topSelfTime(workerCpu, TOP, locate);
      const pageTop = topSelfTime(pageCpu, TOP, locate);
      return [
        {
          title: `8 CPU profile (BENCH_PROFILE=put): worker and page during ${COUNT.toLocaleString('en-US')} awaited client.put`,
          rows: [figureRow('client.put under the profiler (not a figure: sampling slows it)', perSecond(COUNT, ms), 'rec/s')],
          notes: [`${formatValue((ms * 1000) / COUNT, 'ms')} µs per put under the profiler; worker busy ${formatValue((workerTop.busyMs * 1000) / COUNT, 'ms')} µs per put, page busy ${formatValue((pageTop.busyMs * 1000) / COUNT, 'ms')} µs per put`],
          appendix: [...table('worker', workerTop), ...table('page', pageTop)],
          data: { workerTop, pageTop },
        },
      ];
    } finally {
      await client.close();
    }
  } finally {
    await b.close();
  }
}

/** BENCH_PROFILE=put, alone. */
export const profilePutSection: Section = { key: 'profile-put', title: '8 CPU profile of client.put', minutes: 5, run: profilePuts };
