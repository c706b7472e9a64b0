/**
 * Instance ids belong to their writers (issue 11, finding 4), on every store: a push,
 * pull or handshake under an id bound to another identity, or without the instance key
 * the id is bound to, is refused with a code and leaves the store as it was; a clone is
 * told apart from a re-sent batch; clients that send no key keep syncing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newInstanceId, post, WireReplica, type Answer } from './wire-replica.ts';
import { ALICE, BOB, CAROL, openServer, SHARED, snapshot, STORES, type IdentityServer } from './identity-fixture.ts';

/** A key of the right shape that this server never issued. */
const FORGED_KEY = `${'A'.repeat(22)}.${'B'.repeat(43)}`;

interface World {
  readonly alice: WireReplica;
  /** A replica under the shared token whose id others learn. */
  readonly victim: WireReplica;
  /** Bob, and a replica under the shared token: both would pose as someone else. */
  readonly bob: WireReplica;
  readonly intruder: WireReplica;
}

interface Case {
  readonly name: string;
  readonly request: (world: World, id: IdentityServer) => Promise<Answer>;
  readonly status: number;
  readonly code: string;
}

/** `from` pushes one change under `victim`'s id, with `key` (default: the one `from` holds). */
function pushAs(from: WireReplica, victim: WireReplica, key: string | undefined = from.instanceKey, seq = victim.seq + 1): Promise<Answer> {
  const change = { ...from.change('shared', 'forged', 'forged'), source: victim.instanceId, seq };
  return post(from.send, 'push', from.token, { instanceId: victim.instanceId, ...(key === undefined ? {} : { instanceKey: key }), policy: 'last-write-wins', changes: [change] });
}

function pullAs(from: WireReplica, victim: WireReplica, key: string | undefined = from.instanceKey): Promise<Answer> {
  return post(from.send, 'pull', from.token, { instanceId: victim.instanceId, ...(key === undefined ? {} : { instanceKey: key }), cursor: 0, batchSize: 10 });
}

function handshakeAs(from: WireReplica, victim: WireReplica, extra: Record<string, unknown> = {}): Promise<Answer> {
  const impostor = new WireReplica(from.send, from.token, victim.instanceId);
  return impostor.handshake(extra);
}

const CASES: readonly Case[] = [
  // Another identity under Alice's id.
  { name: "Bob pushes under Alice's id", request: ({ bob, alice }) => pushAs(bob, alice, undefined), status: 403, code: 'INSTANCE_FORBIDDEN' },
  { name: "Bob pushes under Alice's id with his own instance key", request: ({ bob, alice }) => pushAs(bob, alice), status: 403, code: 'INSTANCE_FORBIDDEN' },
  { name: "Bob pushes under Alice's id with Alice's key (stolen)", request: ({ bob, alice }) => pushAs(bob, alice, alice.instanceKey), status: 403, code: 'INSTANCE_FORBIDDEN' },
  { name: "Bob pushes under Alice's id with seq 2^53-1", request: ({ bob, alice }) => pushAs(bob, alice, undefined, Number.MAX_SAFE_INTEGER), status: 403, code: 'INSTANCE_FORBIDDEN' },
  { name: "Bob pulls under Alice's id", request: ({ bob, alice }) => pullAs(bob, alice, undefined), status: 403, code: 'INSTANCE_FORBIDDEN' },
  { name: "Bob pulls under Alice's id with Alice's key", request: ({ bob, alice }) => pullAs(bob, alice, alice.instanceKey), status: 403, code: 'INSTANCE_FORBIDDEN' },
  { name: "Bob shakes hands under Alice's id", request: ({ bob, alice }) => handshakeAs(bob, alice), status: 403, code: 'INSTANCE_FORBIDDEN' },
  { name: "Carol (read-only) pushes under Alice's id", request: ({ alice }) => pushAs(new WireReplica(alice.send, CAROL), alice, undefined), status: 403, code: 'INSTANCE_FORBIDDEN' },
  // One identity (a shared token), another replica's id.
  { name: "an intruder on the shared token pushes under the victim's id without its key", request: ({ intruder, victim }) => pushAs(intruder, victim, undefined), status: 403, code: 'INSTANCE_FORBIDDEN' },
  { name: '… with a key issued for its own id', request: ({ intruder, victim }) => pushAs(intruder, victim), status: 403, code: 'INSTANCE_FORBIDDEN' },
  { name: '… with a forged key', request: ({ intruder, victim }) => pushAs(intruder, victim, FORGED_KEY), status: 403, code: 'INSTANCE_FORBIDDEN' },
  { name: '… with a key that is not one at all', request: ({ intruder, victim }) => pushAs(intruder, victim, 'x'), status: 403, code: 'INSTANCE_FORBIDDEN' },
  { name: '… with seq 2^53-1', request: ({ intruder, victim }) => pushAs(intruder, victim, undefined, Number.MAX_SAFE_INTEGER), status: 403, code: 'INSTANCE_FORBIDDEN' },
  { name: "an intruder pulls under the victim's id without its key", request: ({ intruder, victim }) => pullAs(intruder, victim, undefined), status: 403, code: 'INSTANCE_FORBIDDEN' },
  { name: '… with a forged key', request: ({ intruder, victim }) => pullAs(intruder, victim, FORGED_KEY), status: 403, code: 'INSTANCE_FORBIDDEN' },
  { name: "an intruder shakes hands under the victim's id without its key", request: ({ intruder, victim }) => handshakeAs(intruder, victim), status: 403, code: 'INSTANCE_FORBIDDEN' },
  { name: '… with a forged key', request: ({ intruder, victim }) => handshakeAs(intruder, victim, { instanceKey: FORGED_KEY }), status: 403, code: 'INSTANCE_FORBIDDEN' },
  { name: "a victim's key used by another identity (Bob)", request: ({ bob, victim }) => pushAs(bob, victim, victim.instanceKey), status: 403, code: 'INSTANCE_FORBIDDEN' },
  // Clones.
  {
    name: 'a copy of the victim pushes a different change at a seq already applied',
    request: ({ victim }) => {
      const twin = victim.copy();
      twin.seq -= 1;
      return twin.push([twin.change('team', 'a', 'the copy wrote this')]);
    },
    status: 409,
    code: 'INSTANCE_CLONED',
  },
  { name: 'a restored backup shakes hands behind what was applied', request: ({ victim }) => victim.copy().handshake({ lastSeq: victim.seq - 1 }), status: 409, code: 'INSTANCE_CLONED' },
  // Malformed keys.
  { name: 'an instance key of 257 characters', request: ({ victim }) => pullAs(victim, victim, 'k'.repeat(257)), status: 400, code: 'INVALID_PAYLOAD' },
  { name: 'an empty instance key', request: ({ victim }) => pushAs(victim, victim, ''), status: 400, code: 'INVALID_PAYLOAD' },
  {
    name: 'an instance key that is a number',
    request: ({ victim }) => post(victim.send, 'pull', victim.token, { instanceId: victim.instanceId, instanceKey: 42, cursor: 0, batchSize: 1 }),
    status: 400,
    code: 'INVALID_PAYLOAD',
  },
  { name: 'a handshake with a negative lastSeq', request: ({ victim }) => victim.copy().handshake({ lastSeq: -1 }), status: 400, code: 'INVALID_PAYLOAD' },
  { name: "the victim's key without a token", request: ({ victim }) => pushAs(new WireReplica(victim.send, 'no-such-token'), victim, victim.instanceKey), status: 401, code: 'UNAUTHORIZED' },
];

describe.each(STORES)('instance ids belong to their writers ($kind store)', ({ open }) => {
  let id: IdentityServer;
  let world: World;
  let before: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    id = await openServer(open);
    world = { alice: new WireReplica(id.send, ALICE), bob: new WireReplica(id.send, BOB), victim: new WireReplica(id.send, SHARED), intruder: new WireReplica(id.send, SHARED) };
    for (const replica of Object.values(world)) expect((await replica.handshake()).status).toBe(200);
    expect((await world.alice.write(['shared', 'plan', 'v1'], ['private:alice', 'diary', 'x'])).status).toBe(200);
    expect((await world.victim.write(['team', 'a', 1], ['team', 'b', 2])).status).toBe(200);
    before = await snapshot(id.server.store, [world.alice.instanceId, world.victim.instanceId]);
    expect(before.instances.map((record) => record?.owner)).toEqual(['alice', 'token']);
  });

  afterAll(async () => {
    await id?.close();
  });

  it.each(CASES)('$name → $status $code, nothing stored', async ({ request, status, code }) => {
    const answer = await request(world, id);
    expect({ status: answer.status, code: answer.body.error?.code }).toEqual({ status, code });
    expect(answer.body.error?.message.length).toBeGreaterThan(20);
    expect(JSON.stringify(answer.body)).not.toMatch(/alice|"token"/); // never says whose the id is
    expect(await snapshot(id.server.store, [world.alice.instanceId, world.victim.instanceId])).toEqual(before);
  });

  it('after every refusal, each replica writes its next change and it is stored at its own seq', async () => {
    const alice = await world.alice.write(['shared', 'plan', 'v2']);
    const victim = await world.victim.write(['team', 'c', 3]);
    expect(alice.body).toMatchObject({ accepted: 1, ackedSeq: world.alice.seq });
    expect(victim.body).toMatchObject({ accepted: 1, ackedSeq: world.victim.seq });
    const reader = new WireReplica(id.send, SHARED);
    await reader.pullAll();
    expect(reader.view('shared')).toEqual({ 'shared/plan': 'v2' });
    expect(reader.view('team')).toEqual({ 'team/a': 1, 'team/b': 2, 'team/c': 3 });
  });

  it('a batch re-sent after a lost answer is acknowledged again, not taken for a clone', async () => {
    const replica = new WireReplica(id.send, SHARED);
    await replica.handshake();
    const changes = [replica.change('team', 'r1', 1), replica.change('team', 'r2', 2)];
    expect((await replica.push(changes)).body).toMatchObject({ accepted: 2, ackedSeq: 2 });
    const again = await replica.push([...changes, replica.change('team', 'r3', 3)]);
    expect(again.body).toMatchObject({ accepted: 1, ackedSeq: 3 });
  });

  it('a handshake confirms the key a replica holds, and a fresh replica gets one of its own', async () => {
    const key = world.victim.instanceKey;
    expect(key).toMatch(/^[\w-]{22}\.[\w-]{43}$/);
    expect((await world.victim.handshake({ lastSeq: world.victim.seq })).body).toMatchObject({ instanceKey: key, capabilities: expect.arrayContaining(['instance-key']) });
    const fresh = new WireReplica(id.send, SHARED);
    await fresh.handshake();
    expect(fresh.instanceKey).not.toBe(key);
  });

  it('a client that sends no key keeps syncing, until a push under its id carries one: then keyless requests are refused', async () => {
    const legacy = new WireReplica(id.send, SHARED);
    expect((await legacy.push([legacy.change('team', 'old-1', 1)])).body).toMatchObject({ accepted: 1 });
    expect((await legacy.push([legacy.change('team', 'old-2', 2)])).body).toMatchObject({ accepted: 1 });
    expect((await legacy.pullOnce()).status).toBe(200);
    // The same replica, upgraded: it shakes hands, keeps the key, and sends it.
    await legacy.handshake();
    expect((await legacy.push([legacy.change('team', 'new-3', 3)])).body).toMatchObject({ accepted: 1 });
    const keyless = await pushAs(new WireReplica(id.send, SHARED), legacy, undefined);
    expect(keyless.body.error?.code).toBe('INSTANCE_FORBIDDEN');
    expect((await pullAs(new WireReplica(id.send, SHARED), legacy, undefined)).body.error?.code).toBe('INSTANCE_FORBIDDEN');
  });

  it('with requireInstanceKeys, identified pushes and pulls need a key a handshake issued', async () => {
    const strict = await openServer(open, { requireInstanceKeys: true });
    try {
      const replica = new WireReplica(strict.send, SHARED);
      expect((await replica.push([replica.change('team', 'a', 1)])).body.error?.code).toBe('INSTANCE_FORBIDDEN');
      expect((await replica.pullOnce()).body.error?.code).toBe('INSTANCE_FORBIDDEN');
      await replica.handshake();
      replica.seq = 0;
      expect((await replica.push([replica.change('team', 'a', 1)])).body).toMatchObject({ accepted: 1 });
      expect((await replica.pullOnce()).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('an instance id another user never wrote under is free: Bob may use a fresh id, and pulls under an unused id pass', async () => {
    expect((await post(id.send, 'pull', BOB, { instanceId: newInstanceId(), cursor: 0, batchSize: 1 })).status).toBe(200);
    const bob = new WireReplica(id.send, BOB);
    await bob.handshake();
    expect((await bob.write(['private:bob', 'n', 1])).body).toMatchObject({ accepted: 1 });
  });
});
