/**
 * No writer can poison the others' clocks through the server (issue 11, finding 1,
 * server side). Two users share a collective; one pushes a change stamped
 * `999999999999999:999999:zzzz`. The server used to store it, every replica pulling it
 * adopted that clock, and their next writes were refused forever. Now the server
 * refuses a pushed clock more than `maxClockDriftMs` ahead of its own, per change with
 * `INVALID` (so the writer's other changes and later writes still go through), and
 * stores nothing of it. Over HTTP, with a real `authenticate` and the server's clock
 * injected.
 */
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../../../src/clock/hlc.ts';
import type { PullResponse, PushResponse, SyncChange } from '../../../src/protocol/types.ts';
import { collectiveAccess, type Authenticate } from '../../../src/server/access.ts';
import { createFetchHandler } from '../../../src/server/http/fetch-handler.ts';
import { memoryServerStore } from '../../../src/server/stores/memory-server-store.ts';
import { createSyncServer } from '../../../src/server/sync-server.ts';
import { newInstanceId, storeSnapshot } from './wire-messages.ts';

const NOW = 1_800_000_000_000;
const MINUTE = 60_000;

/** Alice and Mallory both read and write `shared`; each also has a collective of their own. */
const authenticate: Authenticate = (request) => {
  const who = request.headers.get('authorization')?.replace(/^Bearer /, '');
  if (who === 'alice' || who === 'mallory') return collectiveAccess(who, { read: ['shared', who], write: ['shared', who] });
  return null;
};

function setup(options: { maxClockDriftMs?: number } = {}) {
  let now = NOW;
  const server = createSyncServer({ store: memoryServerStore(), authenticate, now: () => now, ...options });
  const handler = createFetchHandler(server);
  const post = async <T>(user: string, route: string, body: unknown): Promise<{ status: number; body: T }> => {
    const response = await handler(
      new Request(`http://sync.test/sync/${route}`, { method: 'POST', headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    );
    return { status: response.status, body: (await response.json()) as T };
  };
  return { server, post, setNow: (ms: number) => (now = ms) };
}

function change(source: string, seq: number, id: string, hlc: string, collective = 'shared'): SyncChange {
  return { seq, source, collective, id, op: 'put', value: { id }, hlc, baseVersion: null };
}
const at = (wallMs: number, node: string): string => formatHlc({ wallMs, counter: 0, node });

describe('the server bounds how far ahead a pushed clock may run', () => {
  it("refuses Mallory's poisoned clock with INVALID, stores nothing of it, and Alice's pulls and writes go on", async () => {
    const { server, post } = setup();
    const mallory = newInstanceId();
    const alice = newInstanceId();
    const poisoned = await post<PushResponse>('mallory', 'push', {
      instanceId: mallory,
      policy: 'last-write-wins',
      changes: [change(mallory, 1, 'honest', at(NOW, 'm')), change(mallory, 2, 'poison', '999999999999999:999999:zzzz'), change(mallory, 3, 'later', at(NOW + 1, 'm'))],
    });
    expect(poisoned.status).toBe(200);
    expect(poisoned.body).toMatchObject({ accepted: 2, ackedSeq: 3 });
    expect(poisoned.body.rejected).toEqual([{ seq: 2, collective: 'shared', id: 'poison', reason: 'INVALID', message: expect.stringMatching(/ahead of the clock/) }]);
    expect((await storeSnapshot(server.store)).rows.map((row) => row.id)).toEqual(['honest', 'later']);

    const pulled = await post<PullResponse>('alice', 'pull', { instanceId: alice, cursor: 0, batchSize: 100 });
    expect(pulled.body.changes.map((c) => c.hlc)).toEqual([at(NOW, 'm'), at(NOW + 1, 'm')]);
    const written = await post<PushResponse>('alice', 'push', { instanceId: alice, policy: 'last-write-wins', changes: [change(alice, 1, 'mine', at(NOW + 2, 'a'), 'alice')] });
    expect(written.body).toMatchObject({ accepted: 1, rejected: [] });
  });

  it('takes a clock up to maxClockDriftMs (default 5 minutes) ahead of its own, and refuses one a millisecond further', async () => {
    const { server, post } = setup();
    const writer = newInstanceId();
    const answer = await post<PushResponse>('alice', 'push', {
      instanceId: writer,
      policy: 'last-write-wins',
      changes: [change(writer, 1, 'at-bound', at(NOW + 5 * MINUTE, 'w')), change(writer, 2, 'past-bound', at(NOW + 5 * MINUTE + 1, 'w'))],
    });
    expect(answer.body.rejected.map((r) => [r.id, r.reason])).toEqual([['past-bound', 'INVALID']]);
    expect((await storeSnapshot(server.store)).rows.map((row) => row.id)).toEqual(['at-bound']);
  });

  it("judges by the server's clock, as injected, and by the bound it was given", async () => {
    const { post, setNow } = setup({ maxClockDriftMs: MINUTE });
    const writer = newInstanceId();
    const twoMinutesAhead = at(NOW + 2 * MINUTE, 'w');
    const first = await post<PushResponse>('alice', 'push', { instanceId: writer, policy: 'last-write-wins', changes: [change(writer, 1, 'early', twoMinutesAhead)] });
    expect(first.body.rejected.map((r) => r.reason)).toEqual(['INVALID']);
    setNow(NOW + 90_000);
    const later = await post<PushResponse>('alice', 'push', { instanceId: writer, policy: 'last-write-wins', changes: [change(writer, 2, 'early', twoMinutesAhead)] });
    expect(later.body).toMatchObject({ accepted: 1, rejected: [] });
  });

  it('a clock far behind is fine: old changes and slow clocks do no harm', async () => {
    const { post } = setup();
    const writer = newInstanceId();
    const answer = await post<PushResponse>('alice', 'push', { instanceId: writer, policy: 'last-write-wins', changes: [change(writer, 1, 'old', at(0, 'w'))] });
    expect(answer.body).toMatchObject({ accepted: 1, rejected: [] });
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses maxClockDriftMs %s with INVALID_CONFIG', (maxClockDriftMs) => {
    expect(() => createSyncServer({ store: memoryServerStore(), maxClockDriftMs })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});
