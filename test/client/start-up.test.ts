/**
 * The README's start-up, `await client.start()`, in an app opened while the server
 * cannot be reached: start() resolves, the loop keeps trying by itself, a failed
 * initialSync() leaves it running, and once the server answers the writes made
 * meanwhile go out while the other device's come in.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import type { SyncProgress } from '../../src/protocol/types.ts';
import { waitFor } from '../support/wait.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;
let other: ReturnType<typeof tabsWorld> | undefined;

afterEach(async () => {
  await world?.closeAll();
  await other?.closeAll();
});

async function serverIds(): Promise<string[]> {
  const response = await world.server.handlePull({ instanceId: '01890000-0000-7000-8000-0000000000ff', cursor: 0, batchSize: 1000 });
  return response.changes.map((c) => c.id).sort();
}

describe('start-up while the server cannot be reached', () => {
  it('start() resolves, initialSync() fails without stopping the loop, and everything moves once the server answers', async () => {
    let down = true;
    const unreachable = (): Promise<never> => Promise.reject(new SyncError(ErrorCode.TRANSPORT, 'connection refused'));
    world = tabsWorld({
      transport: (inner) => ({
        ...inner,
        handshake: (request) => (down ? unreachable() : inner.handshake(request)),
        pull: (request) => (down ? unreachable() : inner.pull(request)),
      }),
    });
    other = tabsWorld({ server: world.server });
    const device = other.open();
    await device.putMany(Array.from({ length: 12 }, (_, i) => ({ collective: 'notes', id: `theirs-${i}`, value: i })));
    await device.syncOnce();

    const client = world.open({ config: { batchSize: 5, retry: { initialDelayMs: 20, maxDelayMs: 40 } } });
    const progress: SyncProgress[] = [];
    client.on('progress', (p) => progress.push(p));
    await client.start();
    await client.put('notes', 'mine', 'written while unreachable');
    await expect(client.initialSync()).rejects.toMatchObject({ code: ErrorCode.TRANSPORT });
    expect(client.status().running).toBe(true);

    down = false; // no app code from here on
    await waitFor('my write on the server', () => serverIds(), (ids) => ids.includes('mine'));
    await waitFor('their records here', () => client.list('notes'), (records) => records.length === 13);
    // A first pull is a snapshot: it brings this replica's own write too (store/pull-snapshot.ts).
    expect(progress.at(-1)).toMatchObject({ totalPulled: 13, total: 13, hasMore: false });
    await waitFor('nothing pending', () => client.status(), (s) => s.pending === 0 && s.state === 'idle');
  });
});
