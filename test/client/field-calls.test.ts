/**
 * Field-level records through the client and its worker (the wire over a
 * MessageChannel, fake IndexedDB): opt-in code, in pulsesync's full worker only, and
 * only for their policy. A worker without them refuses the policy at connect, saying
 * what to do; under another policy the client refuses `patch` and `explain` itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncClient } from '../../src/client/types.ts';
import { workerFields } from '../../worker/worker-fields.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;
afterEach(async () => {
  await world?.closeAll();
});

const FIELDS = { conflictResolution: 'field-last-write-wins' } as const;

/** The rejection of `promise`, which must reject. */
function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('field-level records are opt-in', () => {
  it('a worker without them refuses the field policy at connect, naming what to give it', async () => {
    world = tabsWorld();
    const client = world.open({ config: FIELDS }, { fields: undefined });
    expect(await rejection(client.ready)).toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringMatching(/field-last-write-wins needs field-level records: .*exposeSyncWorker\(\{ fields: workerFields \}\)/),
    });
  });

  it.each([
    ['a worker without them', { fields: undefined }],
    // pulsesync's full worker, started for collections say: it keeps them for their policy only.
    ['a worker with them', { fields: workerFields }],
  ])('under another policy the client refuses patch and explain itself, with %s', async (_name, workerOptions) => {
    world = tabsWorld();
    const client: SyncClient = world.open({}, workerOptions);
    for (const [call, what] of [[client.patch('todos', 't', { done: true }), 'patch()'], [client.explain('todos', 't'), 'explain()']] as const) {
      expect(await rejection(call)).toMatchObject({
        code: 'INVALID_CONFIG',
        message: `${what} needs config.conflictResolution 'field-last-write-wins'`,
      });
    }
  });
});
