/**
 * What a user may learn of other users' activity (issue 11, findings 5 and 8), on every
 * store: a live stream is poked only for collectives its user may read, a restricted
 * user's cursors and answers do not count other users' writes, a write-only collective
 * shows nothing of what it holds, and a restricted pull never lists every collective.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresServerStore } from '../../../src/server/postgres.ts';
import { createFetchHandler } from '../../../src/server/http/fetch-handler.ts';
import { createSyncServer } from '../../../src/server/sync-server.ts';
import { globalTimers, type ServerTimers } from '../../../src/server/timers.ts';
import { freshPostgresDatabase, postgresSkipReason } from '../../setup/postgres.ts';
import { waitFor } from '../../support/wait.ts';
import { ALICE, authenticate, BOB, openServer, STORES, type IdentityServer } from './identity-fixture.ts';
import { overHandler, post, WireReplica, type Send } from './wire-replica.ts';

/** Timers whose intervals (live-stream heartbeats) run only when the test says. */
function manualHeartbeats(): { timers: ServerTimers; beat: () => void } {
  const beats = new Set<() => void>();
  return {
    timers: {
      ...globalTimers,
      setInterval: (callback) => (beats.add(callback), callback),
      clearInterval: (handle) => void beats.delete(handle as () => void),
    },
    beat: () => beats.forEach((callback) => callback()),
  };
}

/** Opens `token`'s live stream; `next()` reads its next chunk as text. */
async function liveStream(send: Send, token: string): Promise<{ next: () => Promise<string>; close: () => Promise<void> }> {
  const response = await send('/sync/live', { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  return {
    next: async () => decoder.decode((await reader.read()).value),
    close: () => reader.cancel(),
  };
}

/**
 * Pokes Bob may get while Alice writes: her private writes must not show, shared ones
 * must. `heard` resolves once Bob's server has heard of her first two commits (at once
 * in one process; across processes, when their notifications arrived).
 */
async function expectPokesOnlyForReadable(send: Send, alice: WireReplica, beat: () => void, heard: () => Promise<void> = async () => undefined): Promise<void> {
  const stream = await liveStream(send, BOB);
  try {
    expect(await stream.next()).toContain('pulsesync live');
    await alice.write(['private:alice', 'diary', 1], ['inbox', 'note', 2]);
    await alice.write(['private:alice', 'diary', 3]);
    await heard();
    // A heartbeat goes out only when nothing is queued: a leaked poke would come first.
    beat();
    expect(await stream.next()).toBe(': heartbeat\n\n');
    await alice.write(['shared', 'plan', 'for both']);
    expect(await stream.next()).toContain('event: poke');
  } finally {
    await stream.close();
  }
}

describe.each(STORES)('what a user learns of the others ($kind store)', ({ open }) => {
  let id: IdentityServer;
  let alice: WireReplica;
  let bob: WireReplica;
  const heartbeats = manualHeartbeats();
  let listed = 0;

  beforeAll(async () => {
    id = await openServer(open, {}, { timers: heartbeats.timers });
    const list = id.server.store.listCollectives.bind(id.server.store);
    id.server.store.listCollectives = () => (listed++, list());
    alice = new WireReplica(id.send, ALICE);
    bob = new WireReplica(id.send, BOB);
    await alice.handshake();
    await bob.handshake();
    await alice.write(['shared', 'plan', 'v1'], ['private:alice', 'diary', 0]);
  });

  afterAll(async () => {
    await id?.close();
  });

  it("Bob's live stream is poked for writes to collectives he may read, never for Alice's private ones", () =>
    expectPokesOnlyForReadable(id.send, alice, heartbeats.beat));

  it("Bob's cursor stays put while Alice writes where he may not read, and moves with what he reads", async () => {
    await bob.pullAll();
    const before = bob.cursor;
    await alice.write(['private:alice', 'a', 1], ['private:alice', 'b', 2], ['inbox', 'c', 3]);
    const quiet = await bob.pullOnce({ withTotal: true });
    expect(quiet.body).toEqual({ changes: [], hasMore: false, newCursor: before, total: 0 });
    await alice.write(['shared', 'plan', 'v2']);
    const [change] = await bob.pullAll();
    expect(change).toMatchObject({ id: 'plan', value: 'v2' });
    expect(bob.cursor).toBe(change?.version);
  });

  it("a restricted pull whose cursor is ahead is refused CURSOR_AHEAD without the server's latest version", async () => {
    const latest = await id.server.store.latestVersion();
    const ahead = await post(id.send, 'pull', BOB, { instanceId: bob.instanceId, instanceKey: bob.instanceKey, cursor: 7_777_777, batchSize: 10 });
    expect(ahead.status).toBe(409);
    expect(ahead.body.error).toMatchObject({ code: 'CURSOR_AHEAD', details: { cursor: 7_777_777 } });
    expect(ahead.body.error?.details).not.toHaveProperty('latest');
    expect(ahead.body.error?.message).not.toMatch(new RegExp(`\\b${latest}\\b`));
  });

  it("Bob's push answers the version of his own write, and 0 when it wrote nothing: never a count of Alice's writes", async () => {
    const change = bob.change('private:bob', 'n', 1);
    const first = await bob.push([change]);
    const [mine] = (await id.server.store.readChanges({ after: 0, limit: 1000, collectives: ['private:bob'] })).rows;
    expect(first.body.newCursor).toBe(mine?.version);
    await alice.write(['private:alice', 'more', 1], ['private:alice', 'more', 2]);
    const resent = await bob.push([change]);
    expect(resent.body).toMatchObject({ accepted: 0, ackedSeq: change.seq, newCursor: 0 });
  });

  it('a write to a collective Bob may write but not read shows him nothing of what it holds', async () => {
    const older = bob.change('inbox', 'letter', 'from bob');
    await alice.write(['inbox', 'letter', 'alice wrote this later']);
    const lww = await bob.push([older]);
    expect(lww.body).toMatchObject({ accepted: 0, conflicts: [{ collective: 'inbox', id: 'letter', server: null }] });
    const stale = await post(id.send, 'push', BOB, {
      instanceId: bob.instanceId,
      instanceKey: bob.instanceKey,
      policy: 'server-wins',
      changes: [{ ...bob.change('inbox', 'letter', 'again'), baseVersion: 0 }],
    });
    expect(stale.body).toMatchObject({ conflicts: [{ server: null }], rejected: [{ reason: 'CONFLICT' }] });
    for (const answer of [lww, stale]) {
      expect(JSON.stringify(answer.body)).not.toContain('alice wrote this later');
      expect(JSON.stringify(answer.body)).not.toMatch(/version \d/);
    }
  });

  it('restricted pulls read only the caller’s collectives: the server never lists them all', async () => {
    listed = 0;
    const fresh = new WireReplica(id.send, BOB);
    await fresh.pullAll();
    await fresh.pullAll({ collectives: ['shared', 'private:alice'] });
    expect(listed).toBe(0);
    expect(Object.keys(fresh.view('shared'))).toEqual(['shared/plan']);
  });
});

describe.skipIf(postgresSkipReason() !== undefined)('what a user learns of the others, across processes (Postgres)', () => {
  it("a commit made by another server process pokes Bob's stream only when he may read it", async () => {
    const url = await freshPostgresDatabase('pokes');
    const heartbeats = manualHeartbeats();
    const store = postgresServerStore(url);
    const here = createSyncServer({ store, authenticate });
    const there = createSyncServer({ store: postgresServerStore(url), authenticate });
    const handlerHere = createFetchHandler(here, { timers: heartbeats.timers });
    let commits = 0;
    store.onCommit(() => commits++);
    try {
      await store.listening();
      // Alice writes through the other process; Bob listens on this one.
      const alice = new WireReplica(overHandler(createFetchHandler(there)), ALICE);
      await alice.handshake();
      const heard = () => waitFor('the notifications of two commits', () => commits, (count) => count >= 2);
      await expectPokesOnlyForReadable(overHandler(handlerHere), alice, heartbeats.beat, async () => void (await heard()));
    } finally {
      handlerHere.close();
      await Promise.all([here.close(), there.close()]);
    }
  });
});
