/**
 * The shared database changes under a tab: another tab upgrades it (`versionchange`).
 * The worker lets go at once (the upgrade is not blocked), every later call fails
 * `DATABASE_CLOSED` saying to reload, and a leading tab gives the lock up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { waitFor } from '../support/wait.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;

afterEach(async () => {
  await world?.closeAll();
});

function openAtVersion(indexedDB: IDBFactory, name: string, version: number): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error('the upgrade was blocked by the sync worker'));
  });
}

describe('the database closed under a tab', () => {
  it('another tab’s upgrade: not blocked, calls fail DATABASE_CLOSED, the leader resigns', async () => {
    world = tabsWorld();
    const client = world.open({ config: { pushIntervalMs: 20, pullIntervalMs: 20 } });
    await client.put('notes', 'a', 1);
    await client.start();
    await waitFor('the first sync', () => client.status().lastSyncedAt, (t) => t !== null);

    const newer = await openAtVersion(world.indexedDB, world.name, 99);
    newer.close();

    const failure = await client.put('notes', 'b', 2).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: ErrorCode.DATABASE_CLOSED });
    expect((failure as Error).message).toMatch(/upgrading it to version 99; reload this tab/);
    await waitFor('the lock to be free', () => world.locks.held(`pulsesync:${world.name}`), (held) => !held);
    const status = await waitFor('status error', () => client.status(), (s) => s.state === 'error');
    expect(status).toMatchObject({ running: false, error: { code: ErrorCode.DATABASE_CLOSED } });
  });
});
