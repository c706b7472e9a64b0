/**
 * A leader frozen mid-pull (a background tab) wakes up after another tab has moved the
 * replica on: its stale batch and cursor must not be written over the newer ones. Run
 * without Web Locks (each worker leads alone, as on an insecure origin), the one case
 * where two tabs pull at once; the store's cursor check is what keeps them correct.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PullResponse } from '../../src/protocol/types.ts';
import { soloLocks } from '../../worker/leader-lock.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;
let device: ReturnType<typeof tabsWorld> | undefined;

afterEach(async () => {
  await world?.closeAll();
  await device?.closeAll();
});

describe('a frozen leader', () => {
  it('does not write its stale batch or cursor over a newer one', async () => {
    let freeze: Promise<void> | undefined;
    let thaw = (): void => undefined;
    let frozenResponse: PullResponse | undefined;
    /** The cursor of every pull the awake tab makes. */
    const awakeCursors: number[] = [];
    world = tabsWorld({
      workerOptions: { locks: soloLocks() },
      transport: (inner, tab) =>
        tab === 1
          ? {
              ...inner,
              pull: (request) => {
                awakeCursors.push(request.cursor);
                return inner.pull(request);
              },
            }
          : {
              ...inner,
              // Tab 2 receives its pull answer, then freezes before applying it.
              pull: async (request) => {
                const response = await inner.pull(request);
                if (freeze !== undefined) {
                  frozenResponse = response;
                  await freeze;
                  freeze = undefined;
                }
                return response;
              },
            },
    });
    device = tabsWorld({ server: world.server });
    const other = device.open();
    await other.put('notes', 'n1', 'old');
    await other.syncOnce();

    const awake = world.open();
    const frozen = world.open();
    await Promise.all([awake.ready, frozen.ready]);
    freeze = new Promise<void>((resolve) => (thaw = resolve));
    const frozenSync = frozen.syncOnce();
    for (let turn = 0; turn < 1000 && frozenResponse === undefined; turn++) await new Promise((r) => setTimeout(r, 5));
    expect(frozenResponse?.changes.map((c) => c.value)).toEqual(['old']);

    // Meanwhile the record changes on the server and the awake tab applies it.
    await other.put('notes', 'n1', 'new');
    await other.syncOnce();
    await awake.syncOnce();
    expect((await awake.get('notes', 'n1'))?.value).toBe('new');

    // The frozen tab wakes up with its old answer: nothing of it is written.
    thaw();
    await frozenSync;
    expect((await awake.get('notes', 'n1'))?.value).toBe('new');
    // And the cursor did not move back: the awake tab's next pull starts where it was.
    await other.put('notes', 'n2', 'later');
    await other.syncOnce();
    await awake.syncOnce();
    expect((await awake.list('notes')).map((r) => [r.id, r.value])).toEqual([
      ['n1', 'new'],
      ['n2', 'later'],
    ]);
    expect(awakeCursors.length).toBeGreaterThanOrEqual(2);
    expect(awakeCursors).toEqual([...awakeCursors].sort((a, b) => a - b));
    expect(awakeCursors.at(-1)).toBeGreaterThan(0);
  });
});
