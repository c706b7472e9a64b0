/**
 * Quiet when idle (issue 12, item 6), on simulated time. With the live channel up and
 * nothing happening, a device used to make 10 pull requests and fire 40 status events
 * in 10 s; now pulls come on pokes and on a slow safety poll, and a status event only
 * when something a user could see changed. (Poke floods: `poke-flood.test.ts`; a
 * SHUTDOWN answer to the first handshake: `server-shutting-down.test.ts`.)
 */
import { describe, expect, it } from 'vitest';
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
    await runFor(300, 50); // the poke's pull waits out POKE_PULL_GAP_MS after the last one
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
