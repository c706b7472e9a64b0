import { describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import { SyncError } from '../../src/protocol/errors.ts';
import { PROTOCOL_VERSION, type ConflictPolicy, type JsonValue, type SyncChange } from '../../src/protocol/types.ts';
import { collectiveAccess, type Access } from '../../src/server/access.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { createSyncServer } from '../../src/server/sync-server.ts';
import type { ServerLimits } from '../../src/server/limits.ts';
import { SOURCE_A, SOURCE_B } from '../../src/testing/server-store-fixture.ts';

function setup(limits: Partial<ServerLimits> = {}) {
  const store = memoryServerStore();
  const server = createSyncServer({ store, limits });
  return { store, server };
}

let wall = 1_700_000_000_000;

/** A change as a replica would push it: `seq`, a fresh later HLC. */
function change(source: string, seq: number, collective: string, id: string, value: JsonValue | undefined, baseVersion: number | null = null): SyncChange {
  const base = { seq, source, collective, id, hlc: formatHlc({ wallMs: ++wall, counter: 0, node: source }), baseVersion };
  return value === undefined ? { ...base, op: 'delete' } : { ...base, op: 'put', value };
}

function push(changes: SyncChange[], policy: ConflictPolicy = 'last-write-wins', instanceId = changes[0]?.source ?? SOURCE_A) {
  return { instanceId, policy, changes };
}

function pull(instanceId: string, cursor = 0, extra: Record<string, unknown> = {}) {
  return { instanceId, cursor, batchSize: 100, ...extra };
}

async function errorOf(promise: Promise<unknown>): Promise<SyncError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SyncError);
  return error as SyncError;
}

/** Everything the store holds, to prove a refused request changed nothing. */
async function snapshot(store: ReturnType<typeof memoryServerStore>) {
  const page = await store.readChanges({ after: 0, limit: 10_000 });
  const applied = await store.transaction(async (tx) => [await tx.getAppliedSeq(SOURCE_A), await tx.getAppliedSeq(SOURCE_B)]);
  return { rows: page.rows, latest: await store.latestVersion(), applied };
}

describe('sync server: handshake and health', () => {
  it("accepts its own protocol version and answers the store's server id", async () => {
    const { server, store } = setup();
    const hello = await server.handleHandshake({ instanceId: SOURCE_A, protocolVersion: PROTOCOL_VERSION, capabilities: ['live'] });
    expect(hello).toMatchObject({ accepted: true, protocolVersion: PROTOCOL_VERSION, serverId: await store.serverId() });
    expect(hello.capabilities).toEqual(expect.arrayContaining(['live', 'total', 'server-wins']));
    expect(await server.handleHealth()).toEqual({ ok: true, protocolVersion: PROTOCOL_VERSION, serverId: await store.serverId() });
  });

  it('refuses another protocol version with PROTOCOL_VERSION saying which side to update, even with fields it does not know', async () => {
    const { server } = setup();
    const future = await errorOf(server.handleHandshake({ instanceId: SOURCE_A, protocolVersion: PROTOCOL_VERSION + 1, capabilities: [], newField: 1 }));
    expect(future.code).toBe('PROTOCOL_VERSION');
    expect(future.message).toMatch(/update the server/);
    expect(future.details).toEqual({ client: PROTOCOL_VERSION + 1, server: PROTOCOL_VERSION });
  });

  it('refuses a malformed handshake with INVALID_PAYLOAD naming the field', async () => {
    const { server } = setup();
    const error = await errorOf(server.handleHandshake({ instanceId: 'nope', protocolVersion: PROTOCOL_VERSION, capabilities: [] }));
    expect(error.code).toBe('INVALID_PAYLOAD');
    expect(error.message).toMatch(/instanceId/);
  });
});

describe('sync server: push', () => {
  it('applies a batch re-sent after a lost response once, and acknowledges it again', async () => {
    const { server, store } = setup();
    const batch = push([change(SOURCE_A, 1, 'notes', 'a', 1), change(SOURCE_A, 2, 'notes', 'b', 2)]);
    const first = await server.handlePush(batch);
    expect(first).toMatchObject({ accepted: 2, ackedSeq: 2, rejected: [], conflicts: [], newCursor: 2 });
    const again = await server.handlePush(batch);
    expect(again).toEqual({ accepted: 0, ackedSeq: 2, rejected: [], conflicts: [], newCursor: 2 });
    expect(await store.latestVersion()).toBe(2);
  });

  it('applies only the new tail of a batch that overlaps what was applied', async () => {
    const { server } = setup();
    const second = change(SOURCE_A, 2, 'notes', 'b', 1);
    await server.handlePush(push([change(SOURCE_A, 1, 'notes', 'a', 1), second]));
    const overlap = await server.handlePush(push([second, change(SOURCE_A, 3, 'notes', 'c', 3)]));
    expect(overlap).toMatchObject({ accepted: 1, ackedSeq: 3 });
    const rows = (await server.handlePull(pull(SOURCE_B))).changes;
    expect(rows.map((row) => [row.id, row.value])).toEqual([['a', 1], ['b', 1], ['c', 3]]);
  });

  it('last-write-wins: an older change loses to the newer record (reported in conflicts), a newer one replaces it', async () => {
    const { server } = setup();
    const older = change(SOURCE_A, 1, 'notes', 'x', 'older');
    const newer = change(SOURCE_B, 1, 'notes', 'x', 'newer');
    await server.handlePush(push([newer]));
    const lost = await server.handlePush(push([older]));
    expect(lost).toMatchObject({ accepted: 0, ackedSeq: 1, rejected: [] });
    expect(lost.conflicts).toEqual([{ seq: 1, collective: 'notes', id: 'x', policy: 'last-write-wins', server: expect.objectContaining({ value: 'newer', source: SOURCE_B }) }]);
    const latest = change(SOURCE_A, 2, 'notes', 'x', 'latest');
    expect(await server.handlePush(push([latest]))).toMatchObject({ accepted: 1, conflicts: [] });
    expect((await server.handlePull(pull(SOURCE_B))).changes.map((row) => row.value)).toEqual(['latest']);
  });

  it("server-wins: a change based on a stale version is refused CONFLICT with the server's record; a current one is written", async () => {
    const { server } = setup();
    const { newCursor: v1 } = await server.handlePush(push([change(SOURCE_A, 1, 'notes', 'x', 'a1')], 'server-wins'));
    // A's own later write is never stale against A's own row.
    await server.handlePush(push([change(SOURCE_A, 2, 'notes', 'x', 'a2', null)], 'server-wins'));
    const stale = await server.handlePush(push([change(SOURCE_B, 1, 'notes', 'x', 'b', v1)], 'server-wins'));
    expect(stale.accepted).toBe(0);
    expect(stale.ackedSeq).toBe(1);
    expect(stale.rejected).toEqual([{ seq: 1, collective: 'notes', id: 'x', reason: 'CONFLICT', message: expect.stringMatching(/version/) }]);
    expect(stale.conflicts[0]).toMatchObject({ seq: 1, policy: 'server-wins', server: { value: 'a2', version: 2 } });
    const current = await server.handlePush(push([change(SOURCE_B, 2, 'notes', 'x', 'b2', 2)], 'server-wins'));
    expect(current).toMatchObject({ accepted: 1, rejected: [], conflicts: [] });
  });

  it('refuses each change to a collective the caller may not write with FORBIDDEN, stores nothing of it, and writes the rest', async () => {
    const { server, store } = setup();
    const access = collectiveAccess('alice', { read: ['notes', 'admin'], write: ['notes'] });
    const response = await server.handlePush(
      push([change(SOURCE_A, 1, 'admin', 'root', 'evil'), change(SOURCE_A, 2, 'notes', 'n', 'fine'), change(SOURCE_A, 3, 'admin', 'x', 'evil')]),
      access,
    );
    expect(response.accepted).toBe(1);
    expect(response.ackedSeq).toBe(3);
    expect(response.rejected.map((r) => [r.seq, r.reason])).toEqual([[1, 'FORBIDDEN'], [3, 'FORBIDDEN']]);
    expect(response.rejected[0]?.message).toMatch(/alice may not write to collective "admin"/);
    const rows = (await store.readChanges({ after: 0, limit: 100 })).rows;
    expect(rows.map((row) => `${row.collective}/${row.id}`)).toEqual(['notes/n']);
  });

  it("does not let one user move another replica's applied seq by pushing under its instance id", async () => {
    const { server, store } = setup();
    const alice = collectiveAccess('alice', { read: ['notes'], write: ['notes'] });
    const mallory = collectiveAccess('mallory', { read: ['notes'], write: ['notes'] });
    await server.handlePush(push([change(SOURCE_A, 1, 'notes', 'n', 'first')]), alice);
    // Mallory read SOURCE_A off a pulled change and pushes under it with a huge seq.
    const forged = await errorOf(server.handlePush(push([change(SOURCE_A, 1_000_000, 'notes', 'n', 'forged')]), mallory));
    expect(forged.code).toBe('INSTANCE_FORBIDDEN');
    const response = await server.handlePush(push([change(SOURCE_A, 2, 'notes', 'n', 'mine')]), alice);
    expect(response).toMatchObject({ accepted: 1, ackedSeq: 2 });
    const rows = (await store.readChanges({ after: 0, limit: 100 })).rows;
    expect(rows.map((row) => [row.id, row.value])).toEqual([['n', 'mine']]);
  });

  it('refuses INSTANCE_CLONED a change sent again at an applied seq that differs from the one applied, storing nothing', async () => {
    const { server, store } = setup();
    await server.handlePush(push([change(SOURCE_A, 1, 'notes', 'a', 'original')]));
    const before = await snapshot(store);
    const clone = await errorOf(server.handlePush(push([change(SOURCE_A, 1, 'notes', 'a', 'the copy wrote this'), change(SOURCE_A, 2, 'notes', 'b', 2)])));
    expect(clone.code).toBe('INSTANCE_CLONED');
    expect(clone.details).toEqual({ instanceId: SOURCE_A, seq: 1 });
    expect(await snapshot(store)).toEqual(before);
  });

  it('refuses each change no store can keep (NUL, lone surrogate) with INVALID and writes the rest', async () => {
    const { server, store } = setup();
    const response = await server.handlePush(
      push([change(SOURCE_A, 1, 'notes', 'nul\u0000id', 1), change(SOURCE_A, 2, 'notes', 'fine', 2), change(SOURCE_A, 3, 'no\uD800tes', 'x', 3)]),
    );
    expect(response).toMatchObject({ accepted: 1, ackedSeq: 3 });
    expect(response.rejected.map((r) => [r.seq, r.reason])).toEqual([[1, 'INVALID'], [3, 'INVALID']]);
    expect((await store.readChanges({ after: 0, limit: 10 })).rows.map((row) => row.id)).toEqual(['fine']);
  });

  it('refuses invalid and oversized pushes whole, leaving the store as it was', async () => {
    const { server, store } = setup({ maxPushChanges: 3, maxValueBytes: 100 });
    await server.handlePush(push([change(SOURCE_A, 1, 'notes', 'kept', 1)]));
    const before = await snapshot(store);
    const ok = (seq: number) => change(SOURCE_A, seq, 'notes', `r${seq}`, seq);
    const cases: [string, unknown, string][] = [
      ['not an object', 'push me', 'INVALID_PAYLOAD'],
      ['null', null, 'INVALID_PAYLOAD'],
      ['unknown op', push([{ ...ok(2), op: 'merge' } as unknown as SyncChange]), 'INVALID_PAYLOAD'],
      ['wrong type', push([{ ...ok(2), seq: '2' } as unknown as SyncChange]), 'INVALID_PAYLOAD'],
      ['a put without a value', push([{ ...ok(2), value: undefined } as unknown as SyncChange]), 'INVALID_PAYLOAD'],
      ["another source's change", push([ok(2), change(SOURCE_B, 3, 'notes', 'z', 1)]), 'INVALID_PAYLOAD'],
      ['seqs out of order', push([ok(3), ok(2)]), 'INVALID_PAYLOAD'],
      ['unknown policy', { ...push([ok(2)]), policy: 'client-wins' }, 'INVALID_PAYLOAD'],
      ['too many changes', push([ok(2), ok(3), ok(4), ok(5)]), 'PAYLOAD_TOO_LARGE'],
      ['a value too large', push([ok(2), change(SOURCE_A, 3, 'notes', 'big', 'x'.repeat(200))]), 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [what, body, code] of cases) {
      expect((await errorOf(server.handlePush(body))).code, what).toBe(code);
      expect(await snapshot(store), what).toEqual(before);
    }
  });

  it('calls onChanges after a push writes, not after a re-sent one; unsubscribe stops it', async () => {
    const { server } = setup();
    let pokes = 0;
    const off = server.onChanges(() => pokes++);
    const batch = push([change(SOURCE_A, 1, 'notes', 'a', 1)]);
    await server.handlePush(batch);
    expect(pokes).toBe(1);
    await server.handlePush(batch);
    expect(pokes).toBe(1);
    off();
    await server.handlePush(push([change(SOURCE_A, 2, 'notes', 'b', 1)]));
    expect(pokes).toBe(1);
  });
});

describe('sync server: pull', () => {
  async function seeded() {
    const { server, store } = setup({ maxPullBatchSize: 2 });
    await server.handlePush(push([change(SOURCE_A, 1, 'notes', 'a1', 1), change(SOURCE_A, 2, 'todos', 'a2', 2)]));
    await server.handlePush(push([change(SOURCE_B, 1, 'notes', 'b1', 3), change(SOURCE_B, 2, 'tags', 'b2', 4), change(SOURCE_B, 3, 'notes', 'b3', undefined)]));
    return { server, store };
  }

  it("serves rows in version order without the puller's own, moving its cursor past them, with total when asked", async () => {
    const { server } = await seeded();
    const first = await server.handlePull({ instanceId: SOURCE_A, cursor: 1, batchSize: 10, withTotal: true });
    // The server's limit (2) bounds the batch; the puller's own a2 is skipped.
    expect(first.changes.map((c) => c.id)).toEqual(['b1', 'b2']);
    expect(first).toMatchObject({ hasMore: true, total: 3 });
    const second = await server.handlePull({ instanceId: SOURCE_A, cursor: first.newCursor, batchSize: 10 });
    expect(second.changes).toEqual([expect.objectContaining({ id: 'b3', op: 'delete' })]);
    expect(second.changes[0]).not.toHaveProperty('value');
    expect(second).toMatchObject({ hasMore: false, newCursor: 5 });
    expect(second).not.toHaveProperty('total');
    // B's pull: only A's rows, and its cursor still reaches the latest version.
    const forB = await server.handlePull(pull(SOURCE_B, 1));
    expect(forB.changes.map((c) => c.id)).toEqual(['a2']);
    expect(forB.newCursor).toBe(5);
  });

  it("serves a snapshot's pages whole, the puller's own rows included: from 0, and below the snapshot's mark", async () => {
    const { server } = await seeded();
    const first = await server.handlePull({ ...pull(SOURCE_A, 0), withTotal: true });
    expect(first.changes.map((c) => c.id)).toEqual(['a1', 'a2']);
    expect(first).toMatchObject({ hasMore: true, total: 5, snapshotMark: 5 });
    const next = await server.handlePull({ ...pull(SOURCE_B, 1), snapshotMark: 5 });
    expect(next.changes.map((c) => c.id)).toEqual(['a2', 'b1']);
  });

  it('filters by the collectives asked for', async () => {
    const { server } = await seeded();
    const page = await server.handlePull(pull('0190f5e1-0000-7000-8000-0000000000cc', 0, { collectives: ['notes'], withTotal: true }));
    expect(page.changes.map((c) => c.id)).toEqual(['a1', 'b1']);
    expect(page.total).toBe(3);
  });

  it('serves only what the caller may read, whether it names collectives or not', async () => {
    const { server } = await seeded();
    const reader = '0190f5e1-0000-7000-8000-0000000000cc';
    const access = collectiveAccess('carol', { read: ['notes', 'tags'], write: [] });
    const asked = await server.handlePull(pull(reader, 0, { collectives: ['todos', 'tags'] }), access);
    expect(asked.changes.map((c) => c.id)).toEqual(['b2']);
    const all: string[] = [];
    let cursor = 0;
    for (let page = 0; page < 10; page++) {
      const response = await server.handlePull(pull(reader, cursor), access);
      all.push(...response.changes.map((c) => c.id));
      cursor = response.newCursor;
      if (!response.hasMore) break;
    }
    expect(all).toEqual(['a1', 'b1', 'b2', 'b3']);
    expect(cursor).toBe(5);
  });

  it('does not move a restricted reader past a collective created while its pull was listing collectives', async () => {
    const store = memoryServerStore();
    const server = createSyncServer({ store });
    await server.handlePush(push([change(SOURCE_A, 1, 'notes', 'n', 1)]));
    const listCollectives = store.listCollectives.bind(store);
    let raced = false;
    // A push to a new collective commits right after the pull listed the collectives.
    store.listCollectives = async () => {
      const listed = await listCollectives();
      if (!raced) {
        raced = true;
        await server.handlePush(push([change(SOURCE_A, 2, 'fresh', 'f', 2)]));
      }
      return listed;
    };
    const reader = '0190f5e1-0000-7000-8000-0000000000cc';
    // Rights given as a predicate only: the pull has to list the collectives.
    const access: Access = { userId: 'carol', canRead: (c) => c === 'notes' || c === 'fresh', canWrite: () => false };
    const first = await server.handlePull(pull(reader), access);
    expect(first.changes.map((c) => c.id)).toEqual(['n']);
    expect(first.newCursor).toBe(1);
    const second = await server.handlePull(pull(reader, first.newCursor), access);
    expect(second.changes.map((c) => c.id)).toEqual(['f']);
  });

  it('reads one snapshot per pull: the latest version comes with the page, not from a second read', async () => {
    const { server, store } = await seeded();
    let latestReads = 0;
    const latestVersion = store.latestVersion.bind(store);
    store.latestVersion = async () => {
      latestReads++;
      return latestVersion();
    };
    const page = await server.handlePull(pull(SOURCE_A, 1, { collectives: ['notes'] }));
    expect(page.changes.map((c) => c.id)).toEqual(['b1', 'b3']);
    expect(page.newCursor).toBe(5);
    expect((await errorOf(server.handlePull(pull(SOURCE_A, 6)))).code).toBe('CURSOR_AHEAD');
    expect(latestReads).toBe(0);
  });

  it('fails CURSOR_AHEAD for a cursor past the latest version, and INVALID_PAYLOAD for bad requests', async () => {
    const { server, store } = await seeded();
    const before = await snapshot(store);
    const ahead = await errorOf(server.handlePull(pull(SOURCE_A, 99)));
    expect(ahead.code).toBe('CURSOR_AHEAD');
    expect(ahead.details).toEqual({ cursor: 99, latest: 5 });
    for (const body of [pull(SOURCE_A, 0, { batchSize: 0 }), pull(SOURCE_A, 0, { batchSize: 1_000_000 }), pull(SOURCE_A, -1), { ...pull(SOURCE_A), extra: true }, []]) {
      expect((await errorOf(server.handlePull(body))).code).toBe('INVALID_PAYLOAD');
    }
    expect(await snapshot(store)).toEqual(before);
  });
});

describe('sync server: lifecycle and limits', () => {
  it('fails SHUTDOWN once closed', async () => {
    const { server } = setup();
    await server.close();
    await server.close();
    expect((await errorOf(server.handleHealth())).code).toBe('SHUTDOWN');
    expect((await errorOf(server.handlePull(pull(SOURCE_A)))).code).toBe('SHUTDOWN');
  });

  it('refuses a limit that is not a positive integer with INVALID_CONFIG naming it', () => {
    expect(() => createSyncServer({ store: memoryServerStore(), limits: { maxPushChanges: 0 } })).toThrow(/limits\.maxPushChanges/);
  });
});
