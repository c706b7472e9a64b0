/**
 * Quiet when idle (issue 12, item 6) and poke floods (issue 11, finding 12), on
 * simulated time. With the live channel up and nothing happening, a device used to
 * make 10 pull requests and fire 40 status events in 10 s; now pulls come on pokes and
 * on a slow safety poll, and a status event only when something a user could see
 * changed. A server poking every millisecond gets one pull in flight, one queued, and
 * no more than one start per `minPullGapMs`.
 */
import { describe, expect, it, vi } from 'vitest';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import type { SyncStatus } from '../../src/protocol/types.ts';
import type { SyncTransport } from '../../src/transport/types.ts';
import { runFor, useFakeClock } from './fake-clock.ts';
import { connect, memoryTransport, newReplica, newServer, scriptedTransport, settle, until } from './fixtures.ts';

useFakeClock();

/** A started manager over a live memory transport, caught up and idle. */
async function idleDevice(config: Parameters<typeof connect>[2] = {}, wrapLive?: (inner: SyncTransport) => SyncTransport) {
  const { server } = newServer();
  const { replica } = await newReplica();
  const scripted = scriptedTransport(memoryTransport(server));
  const transport = wrapLive?.(scripted.transport) ?? scripted.transport;
  const manager = connect(replica, transport, config);
  await manager.start();
  await until(() => manager.status().state === 'idle' && manager.status().lastSyncedAt !== null, 'the first sync');
  await settle();
  const statuses: SyncStatus[] = [];
  manager.on('status', (s) => statuses.push(s));
  return { server, replica, scripted, manager, statuses };
}

/** A live channel that pokes every `everyMs` of simulated time, up from the start. */
function pokingEvery(everyMs: number) {
  return (inner: SyncTransport): SyncTransport => ({
    ...inner,
    live(handlers) {
      handlers.onState?.(true);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const poke = (): void => {
        handlers.onPoke();
        timer = setTimeout(poke, everyMs);
      };
      timer = setTimeout(poke, everyMs);
      return () => clearTimeout(timer);
    },
  });
}

describe('an idle device with the live channel up', () => {
  it('makes at most 2 requests and fires no status event in 60 s', async () => {
    const { scripted, manager, statuses } = await idleDevice();
    const before = scripted.calls.length;
    const syncedBefore = manager.status().lastSyncedAt as number;
    await runFor(60_000, 100);
    const requests = scripted.calls.slice(before);
    console.log(`idle 60 s, live up: ${requests.length} requests (${requests.map((c) => `${c.op}@${c.at}ms`).join(', ')}), ${statuses.length} status events`);
    expect(requests.length).toBeLessThanOrEqual(2);
    expect(requests.every((c) => c.op === 'pull')).toBe(true);
    expect(statuses).toEqual([]);
    // The safety poll went through: status() knows, without an event of its own.
    expect(manager.status().lastSyncedAt).toBeGreaterThan(syncedBefore);
    expect(manager.status().state).toBe('idle');
    await manager.stop();
  });

  it('still pushes a write at once and pulls a change at once, each told by status', async () => {
    const { server, replica, scripted, manager, statuses } = await idleDevice();
    await runFor(5_000, 100);
    const pushes = scripted.callsOf('push').length;
    await replica.put('notes', 'a', 1);
    await until(() => scripted.callsOf('push').length > pushes && manager.status().cursors?.push === 1, 'the push');
    expect(statuses.map((s) => s.state)).toContain('syncing');
    // The server pokes for our own write too: its pull skips the echo and moves the cursor.
    await until(() => manager.status().cursors?.pull === 1, 'the pull of our own poke');

    const seen = statuses.length;
    const other = await newReplica();
    await other.replica.put('notes', 'theirs', 2);
    await connect(other.replica, memoryTransport(server), { direction: 'push-only' }).syncOnce();
    await runFor(300, 50); // the poke's pull waits out minPullGapMs after the last one
    await until(() => manager.status().cursors?.pull === 2, 'the poke’s pull');
    expect((await replica.get('notes', 'theirs'))?.value).toBe(2);
    // A quiet pull that brings a change shows it: syncing, then idle with the cursor moved.
    await until(() => manager.status().state === 'idle', 'idle again');
    expect(statuses.slice(seen).map((s) => s.state)).toEqual(['syncing', 'idle']);
    expect(scripted.callsOf('pull').at(-1)?.at).toBeLessThan(5_000 + 1_000); // not the 30 s poll
    await manager.stop();
  });

  it('still finds, within livePullIntervalMs, a write nobody announced (another store object of the database)', async () => {
    const { server } = newServer();
    const { replica, reopen } = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    const manager = connect(replica, scripted.transport);
    await manager.start();
    await until(() => manager.status().lastSyncedAt !== null, 'the first sync');
    const elsewhere = await reopen(); // another tab's store object, say: no requestPush()
    await elsewhere.put('notes', 'unannounced', 1);
    await runFor(31_000, 500);
    expect(scripted.callsOf('push').flatMap((c) => c.request.changes.map((ch) => ch.id))).toEqual(['unannounced']);
    await manager.stop();
  });

  it('polls at pullIntervalMs again once the live channel drops', async () => {
    let drop: (() => void) | undefined;
    const { scripted, manager } = await idleDevice({ pullIntervalMs: 1_000, livePullIntervalMs: 30_000 }, (inner) => ({
      ...inner,
      live(handlers) {
        handlers.onState?.(true);
        drop = () => handlers.onState?.(false);
        return () => undefined;
      },
    }));
    await runFor(10_000, 100);
    expect(scripted.callsOf('pull').filter((c) => c.at > 100)).toHaveLength(0);
    drop?.();
    const before = scripted.callsOf('pull').length;
    await runFor(10_000, 100);
    // One at the drop, then about one a second (each wait starts when a pull ends).
    expect(scripted.callsOf('pull').length - before).toBeGreaterThanOrEqual(8);
    await manager.stop();
  });
});

describe('a poke flood', () => {
  /** Pulls started, and the most in flight at once, over 10 s of a poke every millisecond. */
  async function flood(minPullGapMs: number) {
    let inFlight = 0;
    let most = 0;
    const { scripted, manager } = await idleDevice({ minPullGapMs }, (inner) => ({
      ...pokingEvery(1)(inner),
      async pull(request) {
        most = Math.max(most, ++inFlight);
        try {
          return await inner.pull(request);
        } finally {
          inFlight--;
        }
      },
    }));
    const before = scripted.callsOf('pull').length;
    await runFor(10_000, 10);
    await manager.stop();
    return { pulls: scripted.callsOf('pull').length - before, most };
  }

  it('gets one pull in flight, one queued, and one start per minPullGapMs (250 ms by default)', async () => {
    const floored = await flood(250);
    const unfloored = await flood(0);
    console.log(`poke every 1 ms for 10 s: ${floored.pulls} pulls with minPullGapMs 250, ${unfloored.pulls} with no floor`);
    expect(floored.most).toBe(1);
    expect(floored.pulls).toBeLessThanOrEqual(10_000 / 250 + 1);
    expect(floored.pulls).toBeGreaterThanOrEqual(10_000 / 250 - 1); // pokes still pull, just not on every one
    expect(unfloored.pulls).toBeGreaterThan(floored.pulls * 5);
  });
});

describe('start() with a first handshake the server answers SHUTDOWN (a server going down)', () => {
  it('resolves, reports it, and the connect loop shakes hands again', async () => {
    const { server } = newServer();
    const { replica } = await newReplica();
    const scripted = scriptedTransport(memoryTransport(server));
    scripted.fail('handshake', new SyncError(ErrorCode.SHUTDOWN, 'the server is shutting down'), 1);
    const manager = connect(replica, scripted.transport, { retry: { initialDelayMs: 200 } });
    await manager.start(); // used to stay pending for good: the loops took SHUTDOWN for their own stop
    expect(manager.status()).toMatchObject({ running: true, error: { code: 'SHUTDOWN' }, retry: { attempt: 1 } });
    await vi.advanceTimersByTimeAsync(200);
    await until(() => manager.status().lastSyncedAt !== null && manager.status().state === 'idle', 'the retried handshake');
    expect(scripted.callsOf('handshake')).toHaveLength(2);
    await manager.stop();
  });
});
