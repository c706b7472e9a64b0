/**
 * The sync server under `last-write-wins`, on each store: a whole-record write accepted
 * over a state its writer had not seen marks that state's write as overruled, and the
 * overruled writer (only it) reads the mark in its pull answer, and in a push answer's
 * conflicts where one carries the record; every answer reads with the client's parsers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import type { JsonValue, PulledChange, PushResponse, SyncChange } from '../../src/protocol/types.ts';
import { parsePullResponse, parsePushResponse } from '../../src/protocol/validate.ts';
import { MAX_MARKS } from '../../src/server/overruled-writes.ts';
import { createSyncServer, type SyncServer } from '../../src/server/sync-server.ts';
import { SOURCE_A, SOURCE_B } from '../../src/testing/server-store-fixture.ts';
import { storeKinds, type OpenedStore } from './http/store-kinds.ts';

let wall = 1_700_000_000_000;
const SOURCE_C = '0190f5e1-0000-7000-8000-00000000000c';
const writer = (n: number) => `0190f5e1-0000-7000-8000-${String(n).padStart(12, '0')}`;

/** A replica pushing whole records under last-write-wins: each change is stamped later than the one before, anyone's. */
function replica(server: () => SyncServer, source: string) {
  let seq = 0;
  const hlcs: string[] = [];
  return {
    /** The clock of this replica's latest write. */
    last: () => hlcs[hlcs.length - 1],
    put: async (id: string, value: JsonValue, baseVersion: number | null, clockShift = 0): Promise<PushResponse> => {
      const hlc = formatHlc({ wallMs: ++wall + clockShift, counter: 0, node: source });
      hlcs.push(hlc);
      const change: SyncChange = { seq: ++seq, source, collective: 'todos', id, hlc, baseVersion, op: 'put', value };
      return parsePushResponse(await server().handlePush({ instanceId: source, policy: 'last-write-wins', changes: [change] }));
    },
    /** What this replica would pull of `id` from scratch (undefined: its own row, or none). */
    pull: async (id: string): Promise<PulledChange | undefined> =>
      parsePullResponse(await server().handlePull({ instanceId: source, cursor: 0, batchSize: 100 })).changes.find((change) => change.id === id),
  };
}

describe.each(storeKinds())('last-write-wins marks of overruled writes ($kind store)', (kind) => {
  let opened: OpenedStore;
  let server: SyncServer;
  let n = 0;
  beforeAll(async () => {
    opened = await kind.open('overruled');
    server = createSyncServer({ store: opened.store });
  });
  afterAll(async () => {
    await server.close();
    opened.cleanup();
  });
  const fresh = () => `todo-${++n}`;
  const a = replica(() => server, SOURCE_A);
  const b = replica(() => server, SOURCE_B);
  const c = replica(() => server, SOURCE_C);
  /** The stored row of `id`, marks and all. */
  const stored = async (id: string) => (await opened.store.readChanges({ after: 0, limit: 1000 })).rows.find((row) => row.id === id);

  it('marks the write a later one overruled unseen, and tells its writer alone when it pulls', async () => {
    const id = fresh();
    await a.put(id, { by: 'a' }, null);
    const won = await b.put(id, { by: 'b' }, null); // b had not pulled a's write
    expect(won).toMatchObject({ accepted: 1, conflicts: [] });
    expect(await a.pull(id)).toMatchObject({ value: { by: 'b' }, source: SOURCE_B, over: a.last() });
    expect(await c.pull(id)).not.toHaveProperty('over');
    expect((await stored(id))?.over).toEqual([{ hlc: a.last(), source: SOURCE_A }]);
  });

  it('marks nothing when the later writer had seen the write it replaces', async () => {
    const id = fresh();
    const seen = (await a.put(id, { by: 'a' }, null)).newCursor;
    await b.put(id, { by: 'b' }, seen);
    expect(await a.pull(id)).not.toHaveProperty('over');
    expect(await stored(id)).not.toHaveProperty('over');
  });

  it('keeps a mark on later writes until its own writer writes the record again', async () => {
    const id = fresh();
    await a.put(id, { by: 'a' }, null);
    const aLost = a.last();
    const seenB = (await b.put(id, { by: 'b' }, null)).newCursor;
    await c.put(id, { by: 'c' }, seenB); // c saw b's write: nothing new overruled, a's mark stays
    expect(await a.pull(id)).toMatchObject({ value: { by: 'c' }, over: aLost });
    await a.put(id, { by: 'a again' }, seenB); // a writes again: its mark goes, c's (unseen by a) comes
    expect((await stored(id))?.over).toEqual([{ hlc: c.last(), source: SOURCE_C }]);
    expect(await c.pull(id)).toMatchObject({ value: { by: 'a again' }, over: c.last() });
  });

  it('tells a write that loses by clock in its push answer, and the record it met carries the mark of its writer’s earlier write', async () => {
    const id = fresh();
    await a.put(id, { by: 'a' }, null);
    const aLost = a.last();
    await b.put(id, { by: 'b' }, null);
    const late = await a.put(id, { by: 'a, clock behind' }, null, -1_000);
    expect(late.accepted).toBe(0);
    expect(late.conflicts).toEqual([{ seq: expect.any(Number), collective: 'todos', id, policy: 'last-write-wins', server: expect.objectContaining({ value: { by: 'b' }, over: aLost }) }]);
    // The winner lost nothing: no mark names it.
    expect((await b.pull(id))?.over).toBeUndefined();
    expect((await stored(id))?.over).toEqual([{ hlc: aLost, source: SOURCE_A }]);
  });

  it(`keeps one mark per writer, the latest ${MAX_MARKS}`, async () => {
    const id = fresh();
    const writers = Array.from({ length: MAX_MARKS + 4 }, (_, i) => replica(() => server, writer(100 + i)));
    for (const each of writers) await each.put(id, { by: 'each' }, null);
    const again = writers[3] as (typeof writers)[number];
    await again.put(id, { by: 'again' }, null); // overrules the last writer; its own older mark goes
    const marks = (await stored(id))?.over ?? [];
    expect(marks).toHaveLength(MAX_MARKS);
    expect(new Set(marks.map((mark) => mark.source)).size).toBe(MAX_MARKS);
    expect(marks.map((mark) => mark.source)).not.toContain(writer(103));
    expect(marks[0]).toEqual({ hlc: writers[writers.length - 1]?.last(), source: writer(100 + writers.length - 1) });
  });
});
