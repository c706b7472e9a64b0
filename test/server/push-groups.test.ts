/**
 * Group commit (src/server/push-groups.ts), on every store: pushes that wait while one
 * is applied go together in one transaction, and each is answered as if it had been
 * applied alone — also when one of them is refused, or fails and takes the group down.
 *
 * The store is wrapped so that the first push's transaction waits for a gate: the
 * pushes sent meanwhile are then certainly waiting together, and the wrapper counts
 * transactions, which shows whether they went as one.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import { SyncError } from '../../src/protocol/errors.ts';
import type { PushResponse, SyncChange } from '../../src/protocol/types.ts';
import { createSyncServer, type SyncServer } from '../../src/server/sync-server.ts';
import type { ServerStore, ServerStoreTransaction } from '../../src/server/types.ts';
import { readAll } from '../../src/testing/server-store-fixture.ts';
import { storeKinds, type OpenedStore } from './http/store-kinds.ts';

/** A store that can hold its next transaction until released, counts transactions, and can fail a write. */
function gated(inner: ServerStore) {
  let gate: Promise<void> | undefined;
  let calls = 0;
  /** A write of a record with this id fails, as a full disk would. */
  let poisonId: string | undefined;
  async function transaction<T>(fn: (tx: ServerStoreTransaction) => Promise<T>): Promise<T> {
    calls++;
    const waitFor = gate;
    gate = undefined;
    await waitFor;
    return inner.transaction((tx) =>
      fn({
        ...tx,
        writeRecords: async (rows) => {
          if (rows.some((row) => row.id === poisonId)) throw new Error('disk full (injected)');
          return tx.writeRecords(rows);
        },
      }),
    );
  }
  // Everything else goes to `inner` (bound: the SQL stores keep private fields).
  const store = new Proxy(inner, {
    get(target, name) {
      if (name === 'transaction') return transaction;
      const member: unknown = Reflect.get(target, name);
      return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(target) : member;
    },
  });
  return {
    store,
    /** The next transaction waits until the returned function is called. */
    hold(): () => void {
      let open!: () => void;
      gate = new Promise<void>((resolve) => (open = resolve));
      return () => open();
    },
    transactions: () => calls,
    poison: (id: string | undefined) => (poisonId = id),
  };
}

let wall = 1_700_000_000_000;
function change(source: string, seq: number, id: string, value: number, wallMs = ++wall): SyncChange {
  return { seq, source, collective: 'notes', id, op: 'put', value: { value }, hlc: formatHlc({ wallMs, counter: 0, node: source }), baseVersion: null };
}
function push(source: string, changes: SyncChange[]) {
  return { instanceId: source, policy: 'last-write-wins' as const, changes };
}

/** Settles every push; a refusal comes back as its SyncError. */
async function settled(pushes: Promise<PushResponse>[]): Promise<(PushResponse | SyncError | Error)[]> {
  return Promise.all(pushes.map((p) => p.catch((error: unknown) => error as SyncError | Error)));
}

/** Lets the pushes sent so far reach the group queue (they validate and check keys first). */
async function arrive(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe.each(storeKinds())('push groups ($kind)', (kind) => {
  let opened: OpenedStore | undefined;
  let server: SyncServer | undefined;
  afterEach(async () => {
    await server?.close();
    opened?.cleanup();
    server = undefined;
    opened = undefined;
  });

  async function setup() {
    opened = await kind.open('groups');
    const g = gated(opened.store);
    server = createSyncServer({ store: g.store });
    return { ...g, server };
  }

  /**
   * Sends `first`, holds its transaction until `rest` are sent and waiting, then lets it
   * go: `rest` are then applied as one group.
   */
  async function sendGrouped(g: Awaited<ReturnType<typeof setup>>, first: ReturnType<typeof push>, rest: ReturnType<typeof push>[]) {
    const release = g.hold();
    const pending = [g.server.handlePush(first)];
    await arrive();
    pending.push(...rest.map((body) => g.server.handlePush(body)));
    await arrive();
    release();
    return settled(pending);
  }

  it('applies the pushes that wait while one is applied in one transaction, each answered as if alone', async () => {
    const g = await setup();
    const [first, a, c] = [randomUUID(), randomUUID(), randomUUID()];
    // c writes `shared` with an older clock than a, which comes before it in the group.
    const older = ++wall;
    const [one, two, three] = (await sendGrouped(g, push(first, [change(first, 1, 'first', 0)]), [
      push(a, [change(a, 1, 'a1', 1), change(a, 2, 'shared', 2)]),
      push(c, [change(c, 1, 'c1', 3), change(c, 2, 'shared', 4, older)]),
    ])) as PushResponse[];
    expect(g.transactions()).toBe(2);
    expect(one).toMatchObject({ accepted: 1, ackedSeq: 1, rejected: [], conflicts: [] });
    expect(two).toMatchObject({ accepted: 2, ackedSeq: 2, rejected: [], conflicts: [] });
    // c met a's write, not yet committed, as it would have after a's own commit.
    expect(three).toMatchObject({ accepted: 1, ackedSeq: 2, rejected: [] });
    expect(three?.conflicts).toEqual([expect.objectContaining({ seq: 2, id: 'shared', server: expect.objectContaining({ source: a, value: { value: 2 } }) })]);
    const latest = await g.store.latestVersion();
    expect(latest).toBe(4);
    expect([two?.newCursor, three?.newCursor]).toEqual([latest, latest]);
    expect((await readAll(g.store)).map((row) => [row.id, row.value])).toEqual([
      ['first', { value: 0 }],
      ['a1', { value: 1 }],
      ['shared', { value: 2 }],
      ['c1', { value: 3 }],
    ]);
  });

  it('applies pushes that arrive in the same turn together, though none had to wait (SQLite and memory never yield inside a push)', async () => {
    const g = await setup();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const answers = await Promise.all(ids.map((id, i) => g.server.handlePush(push(id, [change(id, 1, `n${i}`, i)]))));
    expect(g.transactions()).toBe(1);
    expect(answers.map((answer) => answer.accepted)).toEqual([1, 1, 1]);
    expect(answers.map((answer) => answer.newCursor)).toEqual([3, 3, 3]);
  });

  it('refuses a push the instance rules refuse, alone, and commits the others of its group', async () => {
    const g = await setup();
    const [first, clone, b] = [randomUUID(), randomUUID(), randomUUID()];
    await g.server.handlePush(push(clone, [change(clone, 1, 'original', 1)]));
    const before = g.transactions();
    const [one, refused, three] = await sendGrouped(g, push(first, [change(first, 1, 'first', 0)]), [
      push(clone, [change(clone, 1, 'other', 9)]), // seq 1 again with another change: a cloned replica
      push(b, [change(b, 1, 'b1', 2)]),
    ]);
    expect(refused).toBeInstanceOf(SyncError);
    expect((refused as SyncError).code).toBe('INSTANCE_CLONED');
    expect(one).toMatchObject({ accepted: 1, ackedSeq: 1 });
    expect(three).toMatchObject({ accepted: 1, ackedSeq: 1, rejected: [], conflicts: [] });
    expect(g.transactions() - before).toBe(2); // the first alone, then one group: no push was applied again
    expect((await readAll(g.store)).map((row) => row.id)).toEqual(['original', 'first', 'b1']);
  });

  it("sees, in one group, what a replica's earlier push of the group applied: a re-sent batch is acknowledged once, the next goes on, a clone is refused", async () => {
    const g = await setup();
    const [first, a] = [randomUUID(), randomUUID()];
    const batch = push(a, [change(a, 1, 'a1', 1), change(a, 2, 'a2', 2)]);
    const before = g.transactions();
    const [, applied, resent, next, cloned] = await sendGrouped(g, push(first, [change(first, 1, 'first', 0)]), [
      batch,
      batch, // its answer was lost: sent again
      push(a, [change(a, 3, 'a3', 3)]),
      push(a, [change(a, 3, 'other', 9)]), // seq 3 again with another change: a cloned replica
    ]);
    expect(g.transactions() - before).toBe(2); // the first, then one group
    expect(applied).toMatchObject({ accepted: 2, ackedSeq: 2 });
    expect(resent).toMatchObject({ accepted: 0, ackedSeq: 2 });
    expect(next).toMatchObject({ accepted: 1, ackedSeq: 3 });
    expect((cloned as SyncError).code).toBe('INSTANCE_CLONED');
    expect((await readAll(g.store)).map((row) => [row.id, row.version])).toEqual([
      ['first', 1],
      ['a1', 2],
      ['a2', 3],
      ['a3', 4],
    ]);
  });

  it('rolls back a group when one push fails, then applies each alone: the others commit, the failing one stores nothing', async () => {
    const g = await setup();
    const [first, a, bad, c] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    g.poison('poison');
    const before = g.transactions();
    const [one, two, failed, four] = await sendGrouped(g, push(first, [change(first, 1, 'first', 0)]), [
      push(a, [change(a, 1, 'a1', 1)]),
      push(bad, [change(bad, 1, 'b1', 2), change(bad, 2, 'poison', 3)]),
      push(c, [change(c, 1, 'c1', 4)]),
    ]);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(/disk full/);
    expect([one, two, four]).toEqual([
      expect.objectContaining({ accepted: 1, ackedSeq: 1, rejected: [], conflicts: [] }),
      expect.objectContaining({ accepted: 1, ackedSeq: 1, rejected: [], conflicts: [] }),
      expect.objectContaining({ accepted: 1, ackedSeq: 1, rejected: [], conflicts: [] }),
    ]);
    expect(g.transactions() - before).toBe(1 + 1 + 3); // the first; the group, rolled back; each of it alone
    expect((await readAll(g.store)).map((row) => row.id)).toEqual(['first', 'a1', 'c1']);
    // Nothing of the failed push stuck: sent again once the disk has room, all of it applies.
    g.poison(undefined);
    expect(await g.server.handlePush(push(bad, [change(bad, 1, 'b1', 2), change(bad, 2, 'poison', 3)]))).toMatchObject({ accepted: 2, ackedSeq: 2 });
  });
});
