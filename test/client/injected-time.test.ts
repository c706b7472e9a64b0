/**
 * The worker's and the client's own waits run on the timers they are given (`time`),
 * so a test can move time instead of sleeping: the leader's answer to a forwarded call,
 * and the client's wait for its worker to connect.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncClient } from '../../src/client/sync-client.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { DEFAULT_LEADER_ANSWER_TIMEOUT_MS } from '../../worker/worker-options.ts';
import { waitFor } from '../support/wait.ts';
import { manualTimers } from './manual-timers.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;

afterEach(async () => {
  await world?.closeAll();
});

describe('injected time', () => {
  it('a forwarded call nobody takes fails TIMEOUT when the injected timer fires', async () => {
    const timers = manualTimers();
    world = tabsWorld({ workerOptions: { time: timers } });
    // A tab of another build holds the lock but listens on another channel.
    let release = (): void => undefined;
    void world.locks.request(`pulsesync:${world.name}`, {}, () => new Promise<void>((resolve) => (release = resolve)));
    const follower = world.open();
    const outcome = follower.syncOnce().then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await waitFor('the wait for the leader', () => timers.set(DEFAULT_LEADER_ANSWER_TIMEOUT_MS), (set) => set);
    timers.fire(DEFAULT_LEADER_ANSWER_TIMEOUT_MS);
    expect(await outcome).toMatchObject({ code: ErrorCode.TIMEOUT });
    release();
  });

  it('a worker that never answers fails ready with TIMEOUT when the injected timer fires', async () => {
    const timers = manualTimers();
    const { port1, port2 } = new MessageChannel();
    const client = createSyncClient({ name: 'silent', url: 'memory://x', worker: port2, time: timers });
    expect(timers.set(20_000)).toBe(true);
    timers.fire(20_000);
    await expect(client.ready).rejects.toMatchObject({ code: ErrorCode.TIMEOUT });
    const closing = client.close();
    timers.fire(3000); // close() waits for a worker that cannot answer no longer than this
    await closing;
    port1.close();
  });
});
