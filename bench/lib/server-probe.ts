/**
 * Loaded into a load run's server process (`node --import tsx --import
 * ./bench/lib/server-probe.ts bin/pulsesync-server.js …`, see `server-load-cli.ts
 * --probe`): measures where the server's time goes without touching its code. It keeps
 * - the event loop's delay (`perf_hooks.monitorEventLoopDelay`, 5 ms resolution);
 * - per route, each request's time in the server, from its `request` event to the last
 *   byte of its answer handed to the socket;
 * - per push group, the timings `push-groups.ts` publishes on `pulsesync:push-group`
 *   (each push's wait for its group, the transaction's begin, apply and commit), and
 *   each flush of SQLite's WAL (`pulsesync:wal-flush`).
 * SIGUSR2 starts the figures afresh (after a warm-up); on exit they are written as JSON
 * to `PULSESYNC_PROBE_OUT`.
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { PushGroupTrace, WalFlushTrace } from '../../src/server/server-trace.ts';
import { percentile } from './stats.ts';

const out = process.env['PULSESYNC_PROBE_OUT'];
let delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
const fresh = () => ({
  routes: new Map<string, number[]>(),
  groups: [] as PushGroupTrace[],
  flushes: [] as number[],
  since: performance.now(),
});
let figures = fresh();

process.on('SIGUSR2', () => {
  delay.disable();
  delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  figures = fresh();
});

subscribe('pulsesync:push-group', (message) => void figures.groups.push(message as PushGroupTrace));
subscribe('pulsesync:wal-flush', (message) => void figures.flushes.push((message as WalFlushTrace).ms));

const emit = Server.prototype.emit;
Server.prototype.emit = function (this: Server, event: string, ...args: unknown[]): boolean {
  if (event === 'request') {
    const [request, response] = args as [IncomingMessage, ServerResponse];
    const start = performance.now();
    const route = (request.url ?? '').replace(/\?.*/, '');
    const kept = figures;
    response.once('finish', () => {
      let list = kept.routes.get(route);
      if (list === undefined) kept.routes.set(route, (list = []));
      list.push(performance.now() - start);
    });
  }
  return Reflect.apply(emit, this, [event, ...args]) as boolean;
} as Server['emit'];

/** p50, p99, max and count of `values`, rounded to 0.1 ms. */
function spread(values: readonly number[]): Record<string, number> {
  const r = (n: number) => Math.round(n * 10) / 10;
  return { n: values.length, p50: r(percentile(values, 50)), p99: r(percentile(values, 99)), max: r(values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY)), mean: r(values.reduce((a, b) => a + b, 0) / (values.length || 1)) };
}

process.on('exit', () => {
  if (out === undefined) return;
  const { groups, flushes, routes, since } = figures;
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  writeFileSync(
    out,
    JSON.stringify(
      {
        seconds: Math.round(performance.now() - since) / 1000,
        eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), mean: ms(delay.mean) },
        routesMs: Object.fromEntries([...routes].map(([route, values]) => [route, spread(values)])),
        pushGroups: {
          groups: groups.length,
          pushesPerGroup: spread(groups.map((g) => g.pushes)),
          waitMs: spread(groups.flatMap((g) => g.waitMs)),
          beginMs: spread(groups.map((g) => g.beginMs)),
          applyMs: spread(groups.map((g) => g.applyMs)),
          commitMs: spread(groups.map((g) => g.commitMs)),
        },
        walFlushMs: spread(flushes),
      },
      null,
      1,
    ),
  );
});
