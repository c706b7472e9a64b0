/**
 * The client and the worker API over a MessageChannel (Comlink, as between a page and
 * its worker), against a memory sync server: data calls, events, errors with their
 * code, the version check and close().
 */
import * as Comlink from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncClient } from '../../src/client/sync-client.ts';
import type { SyncWorkerApi } from '../../src/worker-api/sync-worker-api.ts';
import { SDK_VERSION } from '../../src/worker-api/version.ts';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import type { PageChangeEvent as ChangeEvent } from '../../src/worker-api/sync-worker-api.ts';
import type { SyncProgress, SyncStatus } from '../../src/protocol/types.ts';
import { createSyncWorkerApi } from '../../worker/expose.ts';
import { waitFor } from '../support/wait.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;

afterEach(async () => {
  await world?.closeAll();
});

/** The rejection of `promise`, which must reject. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('client over a MessageChannel', () => {
  it('writes, reads, lists and deletes records in the worker’s replica', async () => {
    world = tabsWorld();
    const client = world.open();
    await client.put('notes', 'a', { title: 'A' });
    await client.putMany([
      { collective: 'notes', id: 'b', value: { title: 'B' } },
      { collective: 'notes', id: 'c', value: 3 },
    ]);
    await client.delete('notes', 'c');
    expect((await client.get('notes', 'a'))?.value).toEqual({ title: 'A' });
    expect(await client.get('notes', 'c')).toBeUndefined();
    expect((await client.list('notes')).map((r) => r.id)).toEqual(['a', 'b']);
    expect(await client.instanceId()).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('fires change for its own local writes', async () => {
    world = tabsWorld();
    const client = world.open();
    const changes: ChangeEvent[] = [];
    client.on('change', (event) => changes.push(event));
    await client.put('notes', 'a', 1);
    await waitFor('the change event', () => changes.length, (n) => n === 1);
    expect(changes[0]).toEqual({ source: 'local', changes: [{ collective: 'notes', id: 'a', op: 'put', value: 1 }] });
  });

  it('an error thrown in the worker arrives as a SyncError with its code', async () => {
    world = tabsWorld();
    const client = world.open();
    const error = await rejection(client.put('', 'a', 1));
    expect(error).toBeInstanceOf(SyncError);
    expect((error as SyncError).code).toBe(ErrorCode.INVALID_PAYLOAD);
    expect((error as SyncError).message).toMatch(/collective/i);
    await client.start();
    const twice = await rejection(client.start());
    expect((twice as SyncError).code).toBe(ErrorCode.ALREADY_STARTED);
  });

  it('syncs: start pushes local writes, syncOnce pulls what another replica wrote', async () => {
    world = tabsWorld();
    const client = world.open({ config: { pushIntervalMs: 60_000, pullIntervalMs: 60_000 } });
    const statuses: SyncStatus[] = [];
    client.on('status', (s) => statuses.push(s));
    await client.put('notes', 'mine', 'local');
    await client.start();
    await waitFor('the push to reach the server', () => world.count('push'), (n) => n >= 1);
    await waitFor('pending to drain', () => client.status().pending, (n) => n === 0);
    expect(client.status().running).toBe(true);
    expect(statuses.some((s) => s.state === 'syncing')).toBe(true);

    // Another device (its own IndexedDB) writes to the same server.
    const device = tabsWorld({ server: world.server }).open();
    const remoteChanges: ChangeEvent[] = [];
    client.on('change', (event) => {
      if (event.source === 'remote') remoteChanges.push(event);
    });
    await device.put('notes', 'theirs', 'remote');
    await device.syncOnce();
    await device.close();
    await client.syncOnce();
    expect((await client.get('notes', 'theirs'))?.value).toBe('remote');
    await waitFor('the remote change event', () => remoteChanges.length, (n) => n >= 1);
    await client.stop();
    expect(client.status()).toMatchObject({ running: false, state: 'idle' });
  });

  it('initialSync reports progress with the real total', async () => {
    world = tabsWorld();
    const writer = world.open({ name: `${world.name}-writer` });
    await writer.putMany(Array.from({ length: 25 }, (_, i) => ({ collective: 'seed', id: `r${i}`, value: i })));
    await writer.syncOnce();
    const reader = world.open({ config: { batchSize: 10 } });
    const progress: SyncProgress[] = [];
    const final = await reader.initialSync((p) => progress.push(p));
    expect(final).toMatchObject({ totalPulled: 25, total: 25, hasMore: false });
    expect(progress.map((p) => p.totalPulled)).toEqual([10, 20, 25]);
    expect(await reader.list('seed')).toHaveLength(25);
  });

  it('passes the token, or asks getToken on the main thread', async () => {
    world = tabsWorld();
    const fixed = world.open({ token: 'fixed-token' });
    await fixed.syncOnce();
    expect(world.tokens.at(-1)).toBe('fixed-token');
    let asked = 0;
    const fresh = world.open({ name: `${world.name}-2`, getToken: async () => `fresh-${++asked}` });
    await fresh.syncOnce();
    expect(asked).toBeGreaterThan(0);
    expect(world.tokens.at(-1)).toBe(`fresh-${asked}`);
  });

  it('a worker from another build fails every call with VERSION_MISMATCH', async () => {
    const api = createSyncWorkerApi({}, { postMessage: () => undefined });
    const error = await rejection(api.connect({ version: '0.0.1+api.0', name: 'x', url: 'memory://x' }));
    expect(error).toMatchObject({ code: ErrorCode.VERSION_MISMATCH });
    expect((error as { message: string }).message).toMatch(/stale cached worker.*reload the page/s);

    // A stale worker that does not check versions itself: the client checks its answer.
    const { port1, port2 } = new MessageChannel();
    const stale: Pick<SyncWorkerApi, 'connect' | 'close'> = {
      connect: async () => ({ version: '0.0.1', instanceId: 'x', status: { state: 'idle', running: false, pending: 0, lastSyncedAt: null } }),
      close: async () => undefined,
    };
    Comlink.expose(stale, port1);
    const client = createSyncClient({ name: 'stale', url: 'memory://x', worker: port2 });
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    const readyError = await rejection(client.ready);
    expect(readyError).toMatchObject({ code: ErrorCode.VERSION_MISMATCH });
    expect(await rejection(client.put('notes', 'a', 1))).toMatchObject({ code: ErrorCode.VERSION_MISMATCH });
    expect(errors).toHaveLength(1);
    await client.close();
    port1.close();
    expect(SDK_VERSION).toMatch(/\+api\.\d+$/);
  });

  it('close() stops sync, ends the client and later calls fail SHUTDOWN', async () => {
    world = tabsWorld();
    const client = world.open();
    await client.start();
    await client.close();
    await client.close(); // twice is fine
    expect(await rejection(client.get('notes', 'a'))).toMatchObject({ code: ErrorCode.SHUTDOWN });
    expect(client.status().running).toBe(false);
    // The lock is free for the next tab.
    expect(world.locks.held(`pulsesync:${world.name}`)).toBe(false);
  });

  it('a worker script that fails to load rejects ready and every call, instead of hanging', async () => {
    // What a Worker whose script is missing does: an `error` event, and no answer ever.
    class BrokenWorker extends EventTarget {
      terminated = false;
      postMessage(): void {
        queueMicrotask(() => this.dispatchEvent(Object.assign(new Event('error'), { message: '' })));
      }
      terminate(): void {
        this.terminated = true;
      }
    }
    const worker = new BrokenWorker();
    const client = createSyncClient({ name: 'broken', url: 'memory://x', worker: worker as unknown as Worker });
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    expect(await rejection(client.ready)).toMatchObject({ code: ErrorCode.INTERNAL, message: expect.stringMatching(/failed to start/) });
    expect(await rejection(client.list('notes'))).toMatchObject({ code: ErrorCode.INTERNAL });
    expect(errors).toHaveLength(1);
    await client.close();
    expect(worker.terminated).toBe(true);
  });
});
