/**
 * An app's own worker module (`exposeSyncWorker` / `createSyncWorkerApi` with options)
 * gives sync what cannot be sent from the page: here a conflict resolver that merges,
 * whose outcome reaches the page as a `conflict` event and the merged record.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConflictInfo } from '../../src/engine/types.ts';
import { waitFor } from '../support/wait.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;
let other: ReturnType<typeof tabsWorld> | undefined;

afterEach(async () => {
  await world?.closeAll();
  await other?.closeAll();
});

describe('a custom worker module', () => {
  it('runs the app’s conflict resolver, and the page hears the merge', async () => {
    const seen: string[] = [];
    world = tabsWorld({
      workerOptions: {
        // Merges the fields of both sides (idempotent: merging again changes nothing).
        conflictResolver: ({ id, local, remote }) => {
          seen.push(id);
          return { value: { ...(remote?.value as object), ...(local.value as object) } };
        },
      },
    });
    other = tabsWorld({ server: world.server });
    const device = other.open();
    const client = world.open();
    const conflicts: ConflictInfo[] = [];
    client.on('conflict', (c) => conflicts.push(c));

    // Last-write-wins: the client's edit is older than the device's, which reached the server first.
    await client.put('notes', 'n1', { title: 'mine' });
    // A later millisecond, so the device's clock is later (a tie would go by instance id).
    const written = Date.now();
    while (Date.now() === written) await new Promise((resolve) => setTimeout(resolve, 1));
    await device.put('notes', 'n1', { title: 'v1', done: true });
    await device.syncOnce();
    await client.syncOnce();

    expect(seen).toContain('n1');
    await waitFor('the conflict event', () => conflicts.length, (n) => n >= 1);
    expect(conflicts[0]).toMatchObject({ collective: 'notes', id: 'n1', outcome: 'merged' });
    await client.syncOnce();
    expect((await client.get('notes', 'n1'))?.value).toEqual({ title: 'mine', done: true });
    await device.syncOnce();
    expect((await device.get('notes', 'n1'))?.value).toEqual({ title: 'mine', done: true });
  });
});
