/**
 * A pull snapshot (`store/pull-snapshot.ts`) of a large replica runs in bounded memory,
 * on both replicas: the IndexedDB one never reads more than a pull page's worth of rows
 * at once (its first page and its end walk the records store in batches, whether few
 * records stay or many), and the memory one holds no record its pages replaced until
 * its end.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { IDBFactory, IDBKeyRange, IDBObjectStore } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openReplica } from '../../src/store/idb-replica.ts';
import { openMemoryDatabase } from '../../src/store/memory-databases.ts';
import { memoryDatabases, memoryReplica } from '../../src/store/memory-replica.ts';
import type { LocalStore } from '../../src/store/types.ts';
import { pulled } from '../../src/testing/replica-contract.ts';

const PEER = 'server-1';
const LWW = { policy: 'last-write-wins' } as const;
/** Held by the replica, more than three times the bound. */
const HELD = 1_600;
/** Rows one read may hand out: a pull page's worth (the default batch size). */
const BOUND = 500;
const ids = Array.from({ length: HELD }, (_, i) => `r${String(i).padStart(4, '0')}`);
/** What the server still holds: every fourth record; the others were deleted and swept. */
const kept = ids.filter((_, i) => i % 4 === 0);

afterEach(() => {
  vi.restoreAllMocks();
});

/** A replica holding {@link HELD} pulled records, its pull cursor then reset. */
async function heldThenReset(replica: LocalStore): Promise<void> {
  await replica.applyRemote(
    ids.map((id, i) => pulled('c', id, i + 1)),
    { ...LWW, cursor: { peer: PEER, from: 0, to: HELD } },
  );
  await replica.resetPull(PEER, 'cursor-ahead');
}

/** The snapshot's two pages: the first half of what the server holds, with the mark, then the rest. */
async function snapshotPages(replica: LocalStore): Promise<Awaited<ReturnType<LocalStore['applyRemote']>>> {
  const half = kept.length / 2;
  await replica.applyRemote(
    kept.slice(0, half).map((id, i) => pulled('c', id, HELD + i + 1)),
    { ...LWW, cursor: { peer: PEER, from: 0, to: half, mark: kept.length } },
  );
  return replica.applyRemote(
    kept.slice(half).map((id, i) => pulled('c', id, HELD + half + i + 1)),
    { ...LWW, cursor: { peer: PEER, from: half, to: kept.length, last: true } },
  );
}

/** The most rows one `getAll` of the records store handed out, as it grows. */
function watchRecordReads(): { most: number } {
  const seen = { most: 0 };
  const original = IDBObjectStore.prototype.getAll;
  vi.spyOn(IDBObjectStore.prototype, 'getAll').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['getAll']>) {
    const request = original.apply(this, args);
    if (this.name === 'records') request.addEventListener('success', () => (seen.most = Math.max(seen.most, (request.result as unknown[]).length)));
    return request;
  });
  return seen;
}

describe('a snapshot of a large IndexedDB replica (fake-indexeddb)', () => {
  const open = (factory = new IDBFactory()) => openReplica({ name: 'large', indexedDB: factory, IDBKeyRange });

  it(`never reads more than ${BOUND} rows at once while it holds ${HELD}, and drops the right ones`, async () => {
    const replica = await open();
    await heldThenReset(replica);
    const deletes: string[] = [];
    replica.subscribe((event) => deletes.push(...event.changes.filter((c) => c.op === 'delete').map((c) => c.id)));
    const reads = watchRecordReads();
    const last = await snapshotPages(replica);
    expect(reads.most).toBeGreaterThan(0);
    expect(reads.most).toBeLessThanOrEqual(BOUND);
    expect(last.reset).toEqual({ cause: 'cursor-ahead', dropped: HELD - kept.length });
    expect((await replica.list('c')).map((r) => r.id)).toEqual(kept);
    expect(deletes.sort()).toEqual(ids.filter((id) => !kept.includes(id)));
  });

  it(`keeps too many to hold (${HELD - kept.length} of ${HELD}) and still reads at most ${BOUND} rows at once`, async () => {
    const replica = await open();
    await heldThenReset(replica);
    const reads = watchRecordReads();
    // The server still holds all but every fourth record: its pages bring them, in pages of at most BOUND.
    const stays = ids.filter((id) => !kept.includes(id));
    const first = await replica.applyRemote(
      stays.slice(0, BOUND).map((id, i) => pulled('c', id, HELD + i + 1)),
      { ...LWW, cursor: { peer: PEER, from: 0, to: BOUND, mark: stays.length } },
    );
    expect(first.reset).toBeUndefined();
    for (let from = BOUND; from < stays.length; from += BOUND) {
      const to = Math.min(from + BOUND, stays.length);
      const page = await replica.applyRemote(
        stays.slice(from, to).map((id, i) => pulled('c', id, HELD + from + i + 1)),
        { ...LWW, cursor: { peer: PEER, from, to, ...(to === stays.length && { last: true }) } },
      );
      if (to === stays.length) expect(page.reset).toEqual({ cause: 'cursor-ahead', dropped: kept.length });
    }
    expect(reads.most).toBeLessThanOrEqual(BOUND);
    expect((await replica.list('c')).map((r) => r.id)).toEqual(stays);
  });
});

describe('a snapshot of a large memory replica', () => {
  it('holds none of the records its pages replaced until its end', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const databases = memoryDatabases();
    const replica = await memoryReplica({ name: 'large', databases });
    await heldThenReset(replica);
    // The record objects the replica holds before the snapshot's first page.
    const before = [...openMemoryDatabase(databases, 'large').records.values()].filter((r) => kept.includes(r.id)).map((r) => new WeakRef(r));
    const half = kept.length / 2;
    await replica.applyRemote(
      kept.slice(0, half).map((id, i) => pulled('c', id, HELD + i + 1)),
      { ...LWW, cursor: { peer: PEER, from: 0, to: half, mark: kept.length } },
    );
    await new Promise((resolve) => setTimeout(resolve, 0)); // WeakRefs hold their targets until the job ends
    gc();
    // Those the first page replaced are garbage: nothing of the snapshot keeps them.
    expect(before.slice(0, half).filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    const last = await replica.applyRemote(
      kept.slice(half).map((id, i) => pulled('c', id, HELD + half + i + 1)),
      { ...LWW, cursor: { peer: PEER, from: half, to: kept.length, last: true } },
    );
    expect(last.reset).toEqual({ cause: 'cursor-ahead', dropped: HELD - kept.length });
    expect((await replica.list('c')).map((r) => r.id)).toEqual(kept);
  });
});
