/**
 * Field-level records through the client and its worker (the wire over a
 * MessageChannel, fake IndexedDB): opt-in code, in pulsesync's full worker only, and
 * only for their policy. A worker without them refuses the policy at connect, saying
 * what to do; under another policy the full worker refuses `patch` and `explain`.
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

  it('under another policy the full worker refuses patch and explain, naming the policy they need', async () => {
    world = tabsWorld();
    // pulsesync's full worker, started for collections say: it keeps them for their policy only.
    const client: SyncClient = world.open({}, { fields: workerFields });
    for (const [call, what] of [[client.patch('todos', 't', { done: true }), 'patch()'], [client.explain('todos', 't'), 'explain()']] as const) {
      expect(await rejection(call)).toMatchObject({
        code: 'INVALID_CONFIG',
        message: `${what} needs config.conflictResolution 'field-last-write-wins'`,
      });
    }
  });

  it('a worker without them refuses patch and explain with INVALID_CONFIG naming the full worker, and writes nothing', async () => {
    // The page passes both calls as they are (no bytes of theirs in the core client); the
    // default worker answers both with the way to the full worker, and under their policy
    // it would not have connected.
    world = tabsWorld();
    const client: SyncClient = world.open({}, { fields: undefined });
    for (const [call, what] of [[client.patch('todos', 't', { done: true }), 'patch()'], [client.explain('todos', 't'), 'explain()']] as const) {
      expect(await rejection(call)).toMatchObject({
        code: 'INVALID_CONFIG',
        name: 'SyncError',
        message: `${what} needs pulsesync's full worker: createSyncClient({ worker: startFullWorker(), … })`,
      });
    }
    expect(await client.get('todos', 't')).toBeUndefined();
    expect(client.status().pending).toBe(0);
  });
});

describe('patch', () => {
  it('writes the named fields only (a dotted key a nested one, undefined deletes), and its receipt settles as a put’s', async () => {
    world = tabsWorld();
    const client = world.open({ config: FIELDS });
    await client.put('todos', 't', { title: 'milk', note: 'skimmed', address: { city: 'Paris', zip: '75001' } });
    const receipt = await client.patch('todos', 't', { 'address.city': 'Lyon', note: undefined, done: true });
    expect(receipt).toEqual({ instanceId: await client.instanceId(), firstSeq: 2, seq: 2 });
    expect((await client.get('todos', 't'))?.value).toEqual({ title: 'milk', address: { city: 'Lyon', zip: '75001' }, done: true });
    // A list names keys that hold dots.
    await client.patch('todos', 't', [{ path: ['a.b'], value: 1 }]);
    expect((await client.get('todos', 't'))?.value).toMatchObject({ 'a.b': 1 });
    await client.syncOnce();
    expect(await client.whenPushed(receipt)).toEqual({ status: 'accepted', seq: 2 });
    // Pushed as a patch: what the server holds is the merge.
    const held = (await world.server.handlePull({ instanceId: '01900000-0000-7000-8000-0000000000ff', cursor: 0, batchSize: 10 })).changes;
    expect(held.map((row) => row.value)).toEqual([{ title: 'milk', address: { city: 'Lyon', zip: '75001' }, done: true, 'a.b': 1 }]);
  });

  it('refuses a patch the server would refuse, before anything is written', async () => {
    world = tabsWorld();
    const client = world.open({ config: FIELDS });
    expect(await rejection(client.patch('todos', 't', {}))).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringContaining('fields must hold 1 to') });
    expect(await rejection(client.patch('todos', 't', { a: 1, 'a.b': 2 }))).toMatchObject({ code: 'INVALID_PAYLOAD' });
    expect(client.status().pending).toBe(0);
  });

  it('keeps edits of different fields made on two devices, both, once each has synced', async () => {
    world = tabsWorld();
    const phone = world.open({ config: FIELDS });
    const laptop = tabsWorld({ server: world.server }).open({ config: FIELDS });
    await phone.put('todos', 't', { title: 'milk', done: false });
    await phone.syncOnce();
    await laptop.syncOnce();
    await phone.patch('todos', 't', { title: 'oat milk' });
    await laptop.patch('todos', 't', { done: true });
    for (const device of [phone, laptop, phone]) await device.syncOnce();
    for (const device of [phone, laptop]) expect((await device.get('todos', 't'))?.value).toEqual({ title: 'oat milk', done: true });
    await laptop.close();
  });
});

describe('explain', () => {
  it('answers from the worker with the record’s writes and history', async () => {
    world = tabsWorld();
    const client = world.open({ config: FIELDS });
    await client.put('todos', 't', { title: 'milk' });
    await client.patch('todos', 't', { done: true });
    const explained = await client.explain('todos', 't');
    expect(explained).toMatchObject({ exists: true, value: { title: 'milk', done: true } });
    expect(explained.history.map((entry) => [entry.path, entry.via])).toEqual([
      [[], 'local'],
      [['done'], 'local'],
    ]);
  });
});
