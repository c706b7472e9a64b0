/**
 * The live channel of httpTransport against a real server: pokes arrive, drops are
 * reported and healed by reconnecting, a 401 refreshes the token, close() is final.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveHandlers } from '../../src/transport/types.ts';
import { httpTransport } from '../../src/transport/http-transport.ts';
import { manualClock } from '../../src/testing/manual-clock.ts';
import { newInstanceId, pushBody, putChange } from '../server/http/wire-messages.ts';
import { waitFor } from '../support/wait.ts';
import { json, startScriptedServer, TOKEN, type ScriptedServer } from './http-fixtures.ts';

const FAST = { initialDelayMs: 20, maxDelayMs: 200 };
let server: ScriptedServer | undefined;
let closeLive: (() => void) | undefined;
afterEach(async () => {
  closeLive?.();
  closeLive = undefined;
  await server?.close();
  server = undefined;
});

/** Records what a live subscription reports. */
function recorder(): LiveHandlers & { pokes: number; states: boolean[] } {
  const log = {
    pokes: 0,
    states: [] as boolean[],
    onPoke: () => {
      log.pokes += 1;
    },
    onState: (connected: boolean) => {
      log.states.push(connected);
    },
  };
  return log;
}

let seq = 0;
const writer = newInstanceId();
async function pushSomething(s: ScriptedServer): Promise<void> {
  seq += 1;
  await s.sync.handlePush(pushBody(writer, [putChange(writer, seq, `r${seq}`, seq)]));
}

describe('httpTransport live channel', () => {
  it('reports the channel open and pokes when changes commit', async () => {
    server = await startScriptedServer();
    const log = recorder();
    closeLive = httpTransport({ url: server.url, getToken: () => TOKEN, liveOptions: FAST }).live?.(log);
    await waitFor('the channel to open', () => log.states, (s) => s.includes(true));
    await pushSomething(server);
    await waitFor('a poke', () => log.pokes, (n) => n >= 1);
  });

  it('reports a drop, reconnects by itself and pokes again', async () => {
    server = await startScriptedServer();
    const s = server;
    const log = recorder();
    closeLive = httpTransport({ url: s.url, getToken: () => TOKEN, liveOptions: FAST }).live?.(log);
    await waitFor('the channel to open', () => log.states, (states) => states.length === 1);
    s.node.server.closeAllConnections(); // the network cuts every connection
    await waitFor('drop then reopen', () => log.states, (states) => states.join() === 'true,false,true');
    const before = log.pokes;
    await pushSomething(s);
    await waitFor('a poke after reconnecting', () => log.pokes, (n) => n > before);
  });

  it('keeps retrying on its injected timers, the delay doubling, while the live route fails, then connects', async () => {
    server = await startScriptedServer();
    const s = server;
    let refusals = 3;
    s.intercept = (_request, route) => (route === 'live' && refusals-- > 0 ? json(503, { error: { code: 'SHUTDOWN', message: 'later' } }) : undefined);
    const log = recorder();
    const clock = manualClock();
    // random 0.5 puts the jitter factor at exactly 1.
    closeLive = httpTransport({ url: s.url, getToken: () => TOKEN, timers: clock, liveOptions: { ...FAST, random: () => 0.5 } }).live?.(log);
    const delays: number[] = [];
    for (let refused = 1; refused <= 3; refused++) {
      // Only the reconnect timer is left once the refused attempt has finished.
      const [delay] = await waitFor(`the reconnect after refusal ${refused}`, () => clock.pending(), (p) => p.length === 1 && p[0] !== 45_000);
      delays.push(delay as number);
      clock.advance(delay as number);
    }
    await waitFor('the channel to open after refusals', () => log.states, (states) => states.includes(true));
    expect(delays).toEqual([20, 40, 80]);
    expect(s.seen.filter((r) => r.route === 'live').length).toBe(4);
    expect(log.states).toEqual([true]); // never "opened", so never "dropped"
  });

  it('asks for a fresh token after a 401 on the live route', async () => {
    server = await startScriptedServer();
    const tokens = ['stale-token', TOKEN];
    let asked = 0;
    const log = recorder();
    closeLive = httpTransport({ url: server.url, getToken: () => tokens[Math.min(asked++, 1)], liveOptions: FAST }).live?.(log);
    await waitFor('the channel to open with the new token', () => log.states, (states) => states.includes(true));
    expect(server.seen.filter((r) => r.route === 'live').map((r) => r.authorization)).toEqual(['Bearer stale-token', `Bearer ${TOKEN}`]);
  });

  it('reconnects when the stream goes silent past the idle timeout (on its injected timers)', async () => {
    server = await startScriptedServer({ heartbeatMs: 60_000 });
    const s = server;
    const log = recorder();
    const clock = manualClock();
    closeLive = httpTransport({ url: s.url, getToken: () => TOKEN, timers: clock, liveOptions: { ...FAST, idleTimeoutMs: 5_000, random: () => 0.5 } }).live?.(log);
    await waitFor('the channel to open', () => log.states, (states) => states.includes(true));
    await waitFor('the idle timer of the open stream', () => clock.pending(), (p) => p.includes(5_000));
    clock.advance(4_999);
    expect(log.states).toEqual([true]);
    clock.advance(1);
    await waitFor('the silent stream to be dropped', () => log.states, (states) => states.length === 2);
    await waitFor('the reconnect to be scheduled', () => clock.pending(), (p) => p.includes(20));
    clock.advance(20);
    await waitFor('a second stream', () => s.seen.filter((r) => r.route === 'live').length, (n) => n >= 2);
    expect(log.states.slice(0, 2)).toEqual([true, false]);
  });

  it('close() ends the stream and leaves no timer behind', async () => {
    server = await startScriptedServer();
    const s = server;
    const log = recorder();
    const clock = manualClock();
    const close = httpTransport({ url: s.url, getToken: () => TOKEN, timers: clock, liveOptions: FAST }).live?.(log);
    await waitFor('the channel to open', () => log.states, (states) => states.includes(true));
    close?.();
    await waitFor('the server to see the stream end', () => s.handler.liveConnections, (n) => n === 0);
    // Nothing is scheduled, so nothing more can happen, however long we waited.
    await waitFor('the idle timer to be cleared', () => clock.pending(), (p) => p.length === 0);
    await pushSomething(s);
    expect({ attempts: s.seen.filter((r) => r.route === 'live').length, pokes: log.pokes, states: log.states }).toEqual({ attempts: 1, pokes: 0, states: [true] });
  });
});
