/**
 * Tombstones do not grow forever (issue 12, item 4, server half): the server sweeps
 * tombstones past its horizon, refuses a pull whose cursor is older `CURSOR_EXPIRED`,
 * serves a fresh snapshot from cursor 0 whose pages carry on below the floor with their
 * `snapshotMark`, judges a restricted caller by its own collectives only, sweeps on its
 * timers in bounded batches, and keeps its floor across a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import { SyncError } from '../../src/protocol/errors.ts';
import { PROTOCOL_VERSION, type PullResponse, type SyncChange } from '../../src/protocol/types.ts';
import { collectiveAccess, type Access } from '../../src/server/access.ts';
import { createFetchHandler } from '../../src/server/http/fetch-handler.ts';
import { postgresServerStore } from '../../src/server/postgres.ts';
import { sqliteServerStore } from '../../src/server/sqlite.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { createSyncServer, type SyncServer, type SyncServerOptions } from '../../src/server/sync-server.ts';
import type { ServerStore } from '../../src/server/types.ts';
import { manualClock } from '../../src/testing/manual-clock.ts';
import { SOURCE_A, SOURCE_B } from '../../src/testing/server-store-fixture.ts';
import { freshPostgresDatabase, postgresSkipReason } from '../setup/postgres.ts';
import { waitFor } from '../support/wait.ts';
import { storeKinds } from './http/store-kinds.ts';

const HOUR = 60 * 60 * 1000;
const START = 1_800_000_000_000;

/** A server on `store` whose clock moves only when the test says; it sweeps only when asked unless told otherwise. */
function gcServer(store: ServerStore, options: Partial<SyncServerOptions> = {}) {
  const clock = manualClock(START);
  const server = createSyncServer({ store, now: clock.now, tombstoneHorizonMs: HOUR, gcIntervalMs: 0, ...options });
  return { server, clock };
}

let wall = START;
/** Changes of `source` from `seq` on: a value puts, `undefined` deletes. */
function changes(source: string, seq: number, collective: string, entries: readonly (readonly [string, number | undefined])[]): SyncChange[] {
  return entries.map(([id, value], i) => {
    const base = { seq: seq + i, source, collective, id, hlc: formatHlc({ wallMs: ++wall, counter: 0, node: source.slice(-4) }), baseVersion: null };
    return value === undefined ? { ...base, op: 'delete' } : { ...base, op: 'put', value };
  });
}

function pushAs(server: SyncServer, source: string, list: SyncChange[], access?: Access) {
  return server.handlePush({ instanceId: source, policy: 'last-write-wins', changes: list }, access);
}

function pull(server: SyncServer, cursor: number, extra: Record<string, unknown> = {}, access?: Access): Promise<PullResponse> {
  return server.handlePull({ instanceId: SOURCE_B, cursor, batchSize: 100, ...extra }, access);
}

async function refusal(promise: Promise<unknown>): Promise<SyncError> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(SyncError);
  return error as SyncError;
}

/** Sweeps once now (a mark), then once a horizon later: every tombstone written before now goes. */
async function sweepPastHorizon(server: SyncServer, clock: ReturnType<typeof manualClock>) {
  await server.collectGarbage();
  clock.advance(HOUR);
  return server.collectGarbage();
}

describe.each(storeKinds())('tombstone horizon ($kind store)', ({ open }) => {
  it('refuses a cursor older than the swept tombstones CURSOR_EXPIRED (409, actionable); a pull from 0 is a snapshot without them', async () => {
    const { store, cleanup } = await open('gc-expired');
    const { server, clock } = gcServer(store);
    try {
      await pushAs(server, SOURCE_A, changes(SOURCE_A, 1, 'notes', [['a', 1], ['b', 2], ['c', 3], ['d', 4]]));
      const behind = await pull(server, 0);
      await pushAs(server, SOURCE_A, changes(SOURCE_A, 5, 'notes', [['b', undefined], ['c', undefined]]));
      expect(await sweepPastHorizon(server, clock)).toMatchObject({ removed: 2, floor: 6 });

      const expired = await refusal(pull(server, behind.newCursor));
      expect(expired.code).toBe('CURSOR_EXPIRED');
      expect(expired.details).toEqual({ cursor: 4, floor: 6 });
      expect(expired.message).toMatch(/client reset/);
      expect(expired.message).toMatch(/cursor 0/);
      const http = createFetchHandler(server);
      const response = await http(new Request('http://sync.test/sync/pull', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instanceId: SOURCE_B, cursor: 4, batchSize: 10 }) }));
      expect(response.status).toBe(409);
      expect(await response.json()).toEqual({ error: { code: 'CURSOR_EXPIRED', message: expired.message, details: { cursor: 4, floor: 6 } } });

      // A fresh snapshot: the live records only, and a cursor at the floor or past it.
      const snapshot = await pull(server, 0);
      expect(snapshot.changes.map((change) => [change.id, change.op])).toEqual([['a', 'put'], ['d', 'put']]);
      expect(snapshot).toMatchObject({ hasMore: false, newCursor: 6, snapshotMark: 6 });
      // A replica caught up past the floor pulls on as before, with no mark.
      expect(await pull(server, 6)).toEqual({ changes: [], hasMore: false, newCursor: 6 });
    } finally {
      await server.close();
      cleanup();
    }
  });

  it('lets the pages of a snapshot go on below the floor with its snapshotMark, and only with it', async () => {
    const { store, cleanup } = await open('gc-pages');
    const { server, clock } = gcServer(store);
    try {
      await pushAs(server, SOURCE_A, changes(SOURCE_A, 1, 'notes', [['a', 1], ['b', 2], ['c', 3], ['d', 4], ['e', undefined]]));
      await sweepPastHorizon(server, clock);
      const first = await pull(server, 0, { batchSize: 2 });
      expect(first).toMatchObject({ hasMore: true, newCursor: 2, snapshotMark: 5 });
      // Page two starts below the floor (5): without the mark it looks like a stale cursor.
      expect((await refusal(pull(server, first.newCursor, { batchSize: 2 }))).code).toBe('CURSOR_EXPIRED');
      const second = await pull(server, first.newCursor, { batchSize: 2, snapshotMark: first.snapshotMark });
      expect(second).toMatchObject({ hasMore: false, newCursor: 5 });
      expect(second).not.toHaveProperty('snapshotMark');
      expect([...first.changes, ...second.changes].map((change) => change.id)).toEqual(['a', 'b', 'c', 'd']);
    } finally {
      await server.close();
      cleanup();
    }
  });

  it('refuses a snapshot again when a sweep removed tombstones written after it started', async () => {
    const { store, cleanup } = await open('gc-during');
    const { server, clock } = gcServer(store);
    try {
      await pushAs(server, SOURCE_A, changes(SOURCE_A, 1, 'notes', [['a', 1], ['b', 2], ['c', 3]]));
      await server.collectGarbage();
      const first = await pull(server, 0, { batchSize: 1 });
      expect(first).toMatchObject({ newCursor: 1, snapshotMark: 3 });
      // The replica holds `a`; `a` is deleted after its snapshot began, and that delete is swept.
      await pushAs(server, SOURCE_A, changes(SOURCE_A, 4, 'notes', [['a', undefined]]));
      clock.advance(HOUR);
      await server.collectGarbage();
      clock.advance(HOUR);
      expect(await server.collectGarbage()).toMatchObject({ removed: 1, floor: 4 });
      const again = await refusal(pull(server, first.newCursor, { batchSize: 1, snapshotMark: first.snapshotMark }));
      expect(again.code).toBe('CURSOR_EXPIRED');
    } finally {
      await server.close();
      cleanup();
    }
  });
});

describe('tombstone horizon and other users (issue 11: no activity of collectives a caller cannot read)', () => {
  const alice = collectiveAccess('alice', { read: ['private:alice'], write: ['private:alice'] });
  const bob = collectiveAccess('bob', { read: ['private:bob'], write: ['private:bob'] });

  it("neither expires nor tells a restricted reader of another user's swept tombstones; its own are judged by its collectives' floor", async () => {
    const { server, clock } = gcServer(memoryServerStore());
    await pushAs(server, SOURCE_B, changes(SOURCE_B, 1, 'private:bob', [['b1', 1]]), bob);
    const bobCaughtUp = await server.handlePull({ instanceId: SOURCE_B, cursor: 0, batchSize: 100 }, bob);
    await pushAs(server, SOURCE_A, changes(SOURCE_A, 1, 'private:alice', [['a1', 1], ['a2', 2]]), alice);
    const aliceBehind = await server.handlePull({ instanceId: SOURCE_A, cursor: 0, batchSize: 100 }, alice);
    await pushAs(server, SOURCE_A, changes(SOURCE_A, 3, 'private:alice', [['a1', undefined], ['a2', undefined], ['a3', 3]]), alice);
    expect(await sweepPastHorizon(server, clock)).toMatchObject({ removed: 2, floor: 5 });

    // Bob's cursor (1) is below the store-wide floor (5), but none of his collectives lost a row.
    const bobLater = await server.handlePull({ instanceId: SOURCE_B, cursor: bobCaughtUp.newCursor, batchSize: 100 }, bob);
    expect(bobLater).toEqual({ changes: [], hasMore: false, newCursor: 1 });
    // His snapshot's mark counts his own collective, not Alice's writes.
    expect(await server.handlePull({ instanceId: SOURCE_B, cursor: 0, batchSize: 100 }, bob)).toMatchObject({ newCursor: 1, snapshotMark: 1 });

    const aliceRefused = await refusal(server.handlePull({ instanceId: SOURCE_A, cursor: aliceBehind.newCursor, batchSize: 100 }, alice));
    expect(aliceRefused).toMatchObject({ code: 'CURSOR_EXPIRED', details: { cursor: 3, floor: 5 } });
    expect(await server.handlePull({ instanceId: SOURCE_A, cursor: 0, batchSize: 100 }, alice)).toMatchObject({ newCursor: 6, snapshotMark: 6 });
    await server.close();
  });
});

describe('tombstone collector', () => {
  it('announces cursor-expiry at handshake and refuses settings it cannot run with', async () => {
    const { server } = gcServer(memoryServerStore());
    const hello = await server.handleHandshake({ instanceId: SOURCE_A, protocolVersion: PROTOCOL_VERSION, capabilities: [] });
    expect(hello.capabilities).toContain('cursor-expiry');
    await server.close();
    expect(() => createSyncServer({ store: memoryServerStore(), tombstoneHorizonMs: -1 })).toThrow(/tombstoneHorizonMs/);
    expect(() => createSyncServer({ store: memoryServerStore(), gcBatchRows: 0 })).toThrow(/gcBatchRows/);
    expect(() => createSyncServer({ store: memoryServerStore(), gcIntervalMs: Number.NaN })).toThrow(/gcIntervalMs/);
  });

  it('sweeps every gcIntervalMs on its timers, and stops on close', async () => {
    const store = memoryServerStore();
    const clock = manualClock(START);
    const server = createSyncServer({ store, now: clock.now, timers: clock, tombstoneHorizonMs: HOUR, gcIntervalMs: HOUR });
    await pushAs(server, SOURCE_A, changes(SOURCE_A, 1, 'notes', [['a', undefined], ['b', 1]]));
    expect(clock.pending()).toEqual([HOUR]);
    const rearmed = () => waitFor('the next sweep to be scheduled', () => clock.pending(), (pending) => pending.length === 1, { everyMs: 1 });
    clock.advance(HOUR); // the first sweep: a mark
    await rearmed();
    expect((await store.readChanges({ after: 0, limit: 10 })).rows).toHaveLength(2);
    clock.advance(HOUR); // a horizon later: the tombstone goes
    await rearmed();
    expect(await store.readChanges({ after: 0, limit: 10 })).toMatchObject({ rows: [{ id: 'b' }], gcFloor: 1 });
    await server.close();
    expect(clock.pending()).toEqual([]);
    await expect(server.collectGarbage()).rejects.toMatchObject({ code: 'SHUTDOWN' });
  });

  it('sweeps in transactions of gcBatchRows rows at most, giving the event loop a turn between them', async () => {
    const store = memoryServerStore();
    const { server, clock } = gcServer(store, { gcBatchRows: 10 });
    const ids = Array.from({ length: 25 }, (_, i) => `t${i}`);
    await pushAs(server, SOURCE_A, changes(SOURCE_A, 1, 'notes', ids.map((id) => [id, undefined] as const)));
    await server.collectGarbage();
    clock.advance(HOUR);
    const events: string[] = [];
    const sweep = store.sweepTombstones?.bind(store);
    store.sweepTombstones = async (request) => {
      const result = await (sweep as NonNullable<typeof sweep>)(request);
      events.push(`batch of ${result.scanned}`);
      return result;
    };
    setImmediate(() => events.push('a turn of the event loop'));
    const report = await server.collectGarbage();
    expect(report).toEqual({ removed: 25, scanned: 25, batches: 3, floor: 25 });
    expect(events).toEqual(['batch of 10', 'a turn of the event loop', 'batch of 10', 'batch of 5']);
    await server.close();
  });
});

describe('the gc floor across a restart', () => {
  const persistent: { kind: string; open: () => Promise<{ open: () => ServerStore; cleanup: () => void }> }[] = [
    {
      kind: 'sqlite',
      open: async () => {
        const dir = mkdtempSync(join(tmpdir(), 'pulsesync-gc-restart-'));
        return { open: () => sqliteServerStore(join(dir, 'gc.db')), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
      },
    },
    ...(postgresSkipReason() === undefined
      ? [{ kind: 'postgres', open: async () => ({ open: ((url: string) => () => postgresServerStore(url))(await freshPostgresDatabase('gc_restart')), cleanup: () => undefined }) }]
      : []),
  ];

  it.each(persistent)('still refuses the old cursor after the server restarts ($kind)', async ({ open }) => {
    const data = await open();
    try {
      const before = gcServer(data.open());
      await pushAs(before.server, SOURCE_A, changes(SOURCE_A, 1, 'notes', [['a', 1], ['b', 2]]));
      const old = await pull(before.server, 0);
      await pushAs(before.server, SOURCE_A, changes(SOURCE_A, 3, 'notes', [['a', undefined]]));
      await sweepPastHorizon(before.server, before.clock);
      await before.server.close();

      const after = gcServer(data.open());
      expect(await refusal(pull(after.server, old.newCursor))).toMatchObject({ code: 'CURSOR_EXPIRED', details: { cursor: 2, floor: 3 } });
      expect(await pull(after.server, 0)).toMatchObject({ changes: [{ id: 'b' }], newCursor: 3, snapshotMark: 3 });
      // The swept version is not handed out again.
      expect(await pushAs(after.server, SOURCE_A, changes(SOURCE_A, 4, 'notes', [['a', 9]]))).toMatchObject({ newCursor: 4 });
      await after.server.close();
    } finally {
      data.cleanup();
    }
  });
});
