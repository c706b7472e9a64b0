/**
 * Section 4: steady state. Two devices (two pages, each a started client on its own
 * replica, so its own database and instance id, over the live channel) on an empty server; a put on one is timed to its `change`
 * event on the other. Each round times 60 changes some 300–400 ms apart; the figure is
 * the round's median. Apart, because the engine starts a poked pull at most every
 * 250 ms (POKE_PULL_GAP_MS): changes sent back to back each wait out that floor (seen:
 * a median of 238 ms), which measures the floor, not the path of one change.
 * No IndexedDB limit applies (it is a network path), so the figure stands on its own
 * with its target.
 */
import { comparisonNotes, comparisonRows, type SectionReport } from '../lib/report.ts';
import { runRounds } from '../lib/rounds.ts';
import { freshName, RECORD_BYTES, type Section, type SectionContext } from '../lib/section.ts';
import { startSeededServer } from '../lib/seeded-server.ts';
import { percentile } from '../lib/stats.ts';

const CHANGES_PER_ROUND = 60;
/** Least gap between two changes, ms: past the engine's 250 ms floor between poked pulls. */
const SPACING_MS = 300;
/** Longest wait for one change to reach the other device. */
const ARRIVAL_TIMEOUT_MS = 5_000;
/** Longest wait for the untimed first change (both devices connecting). */
const WARM_UP_TIMEOUT_MS = 30_000;

async function latency(ctx: SectionContext): Promise<SectionReport[]> {
  const b = await ctx.browser();
  const server = await startSeededServer(ctx.root, { count: 0, bytes: RECORD_BYTES, collective: 'latency' }, ctx.log);
  const sender = await b.openPage();
  const receiver = await b.openPage();
  const conn = { url: server.url, token: server.token };
  const a = freshName('device-a');
  const z = freshName('device-b');
  let sent = 0;
  try {
    await receiver.call('deviceStart', { ...conn, name: z });
    await sender.call('deviceStart', { ...conn, name: a });
    const outcome = await runRounds({
      section: 'steady state',
      rounds: ctx.rounds,
      budget: ctx.budget,
      log: ctx.log,
      comparisons: [
        {
          label: `put on device A → change event on device B, median of ${CHANGES_PER_ROUND} changes`,
          unit: 'ms',
          better: 'lower',
          target: { below: 50 },
          side: [
            { key: 'p99', label: `p99 of the round's ${CHANGES_PER_ROUND} changes`, unit: 'ms' },
            { key: 'lost', label: `changes not seen within ${ARRIVAL_TIMEOUT_MS / 1000} s`, unit: 'count' },
            { key: 'task', label: 'main-thread longest task, either page (0 = none ≥ 50 ms)', unit: 'ms', target: { atMost: 50 } },
          ],
          subject: {
            label: `put on device A → change event on device B, median of ${CHANGES_PER_ROUND} changes`,
            async warmUp() {
              // One change through, untimed, so both devices are connected (handshake, live channel).
              const arrived = receiver.call('deviceArrival', { id: 'lat-warm-up', timeoutMs: WARM_UP_TIMEOUT_MS });
              await sender.call('deviceWrite', { name: a, collective: 'latency', id: 'lat-warm-up' });
              if (Number.isNaN(await arrived)) throw new Error(`the warm-up change did not arrive within ${WARM_UP_TIMEOUT_MS / 1000} s`);
            },
            async run() {
              const samples: number[] = [];
              let lost = 0;
              await sender.call('deviceLongestTask', { name: a });
              await receiver.call('deviceLongestTask', { name: z });
              for (let k = 0; k < CHANGES_PER_ROUND; k++) {
                const id = `lat-${sent++}`;
                const arrived = receiver.call('deviceArrival', { id, timeoutMs: ARRIVAL_TIMEOUT_MS });
                const sentAt = await sender.call('deviceWrite', { name: a, collective: 'latency', id });
                const at = await arrived;
                if (Number.isNaN(at)) lost++;
                else samples.push(at - sentAt);
                // Irregular gaps past the pull floor, so changes do not phase-lock with any timer.
                await new Promise((r) => setTimeout(r, SPACING_MS + (k % 7) * 15));
              }
              const task = Math.max(await sender.call('deviceLongestTask', { name: a }), await receiver.call('deviceLongestTask', { name: z }));
              return { value: percentile(samples, 50), side: { p99: percentile(samples, 99), lost, task } };
            },
          },
        },
      ],
    });
    return [
      {
        title: '4 Steady state: a put on one device to its change event on another (live channel, loopback)',
        rows: outcome.results.flatMap(comparisonRows),
        notes: [
          'no plain-IndexedDB limit for a network path: the figure is judged on its own target',
          `changes ${SPACING_MS}–${SPACING_MS + 90} ms apart: the engine starts a poked pull at most every 250 ms, so back-to-back changes would measure that floor`,
          ...outcome.results.flatMap(comparisonNotes)],
        rounds: { run: outcome.roundsRun, asked: outcome.roundsAsked },
        results: outcome.results,
      },
    ];
  } finally {
    await sender.call('deviceStop', { name: a }).catch(() => undefined);
    await receiver.call('deviceStop', { name: z }).catch(() => undefined);
    await sender.close();
    await receiver.close();
    await server.stop();
  }
}

/** Section 4. */
export const latencySection: Section = { key: 'latency', title: '4 Steady state', minutes: 3, run: latency };
