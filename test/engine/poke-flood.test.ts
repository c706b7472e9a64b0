/**
 * A live channel that pokes every millisecond (a hostile or broken server) must not
 * drive a pull per poke: requested pulls run one in flight, one queued, and start at
 * most once per POKE_PULL_GAP_MS (issue 11, finding 12: 67 pulls a second before).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { POKE_PULL_GAP_MS } from '../../src/engine/background-loops.ts';
import type { SyncTransport } from '../../src/transport/types.ts';
import { connect, memoryTransport, newReplica, newServer, scriptedTransport } from './fixtures.ts';
import { runFor } from './fake-clock.ts';

describe('a poke flood', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pulls about once per floor: not once per poke, and not never', async () => {
    const { server } = newServer();
    const scripted = scriptedTransport(memoryTransport(server, { live: false }));
    let pokes = 0;
    const flooding: SyncTransport = {
      ...scripted.transport,
      live: ({ onPoke, onState }) => {
        onState?.(true);
        const timer = setInterval(() => {
          pokes += 1;
          onPoke();
        }, 1);
        return () => clearInterval(timer);
      },
    };
    const { replica } = await newReplica();
    // Interval pulls far apart, so every pull in the window below is poke-driven.
    const manager = connect(replica, flooding, { pullIntervalMs: 60_000, pushIntervalMs: 60_000 });
    await manager.start();
    const before = scripted.callsOf('pull').length;
    const windowMs = 3_000;
    await runFor(windowMs, 10, 20); // IndexedDB (fake-indexeddb) runs on real macrotasks between steps
    const pulls = scripted.callsOf('pull').length - before;
    await manager.stop();
    console.log(`poke flood: ${pokes} pokes in ${windowMs} ms drove ${pulls} pulls (floor ${POKE_PULL_GAP_MS} ms)`);
    expect(pokes).toBeGreaterThan(1_000);
    // Nor may the flood starve pulls (re-arming the timer on every poke did: 1 pull in 3 s).
    expect(pulls).toBeGreaterThanOrEqual(Math.floor(windowMs / POKE_PULL_GAP_MS / 2));
    expect(pulls).toBeLessThanOrEqual(Math.ceil(windowMs / POKE_PULL_GAP_MS) + 1);
  });
});
