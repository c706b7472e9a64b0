/**
 * Declared indexes as IndexedDB indexes of the replica (fake-indexeddb): made on first
 * open, added and dropped by a versioned upgrade when the declaration changes, with an
 * older tab's replica closed (and told) rather than blocking the upgrade; a connection
 * that does not let go fails the open `DATABASE_BLOCKED`, not a hang.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SyncError } from '../../src/protocol/errors.ts';
import { indexesOf } from '../../src/query/indexes.ts';
import type { CollectionDeclarations } from '../../src/query/types.ts';
import { IdbReplica, openReplica } from '../../src/store/idb-replica.ts';
import { openWithIndexes } from '../../src/store/index-upgrade.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { readRecords, type RecordKeys } from '../../src/store/read-transaction.ts';
import { Stores } from '../../src/store/schema.ts';
import { failureCode, pulled } from '../../src/testing/replica-contract.ts';

let factory = new IDBFactory();
const opened: IdbReplica[] = [];
beforeEach(() => {
  factory = new IDBFactory();
});
afterEach(() => {
  for (const replica of opened.splice(0)) replica.close();
  vi.useRealTimers();
});

/** The opener of a replica declaring `collections` (what the collections worker gives `openReplica`). */
function withIndexes(collections: CollectionDeclarations, onVersionChange?: (error: SyncError) => void): ReturnType<typeof openWithIndexes> {
  return openWithIndexes([...indexesOf(collections).values()], onVersionChange);
}

async function open(collections: CollectionDeclarations | undefined, onVersionChange?: (error: SyncError) => void): Promise<IdbReplica> {
  const replica = await openReplica({
    name: 'app',
    indexedDB: factory,
    IDBKeyRange,
    ...(collections === undefined ? {} : { open: withIndexes(collections, onVersionChange) }),
  });
  if (!(replica instanceof IdbReplica)) throw new Error('openReplica gave no IdbReplica');
  opened.push(replica);
  return replica;
}

/** Counts the entries of `index` in `range` over the records of `replica`. */
function countIn(replica: IdbReplica, index: string, range: (keys: RecordKeys) => IDBKeyRange): Promise<number> {
  return readRecords(replica.connection, 'count', (records, keys) =>
    new Promise<number>((resolve) => {
      const request = records.index(index).count(range(keys));
      request.onsuccess = () => resolve(request.result);
    }),
  );
}

/** The indexes of `records` and the database version, read from a fresh connection. */
async function layout(): Promise<{ version: number; indexes: string[] }> {
  const db = await openDatabase({ factory, name: 'app', blockedTimeoutMs: 1000, mustExist: true });
  const names = Array.from(db.transaction(Stores.records).objectStore(Stores.records).indexNames).sort();
  const version = db.version;
  db.close();
  return { version, indexes: names };
}

describe('declared indexes in the replica', () => {
  it('are made on first open, scoped by collective, with a live index', async () => {
    await open({ todos: { indexes: ['createdAt', ['listId', 'createdAt']] } });
    expect(await layout()).toEqual({ version: 1, indexes: ['ix:createdAt', 'ix:listId+createdAt', 'live'] });
  });

  it('change in a versioned upgrade; the older tab’s replica closes, is told why, and fails DATABASE_CLOSED', async () => {
    const heard: SyncError[] = [];
    const old = await open({ todos: { indexes: ['createdAt'] } }, (error) => heard.push(error));
    await old.put('todos', 't1', { createdAt: 1 });
    const current = await open({ todos: { indexes: ['done', ['listId', 'createdAt']] } });
    expect(await layout()).toEqual({ version: 2, indexes: ['ix:done', 'ix:listId+createdAt', 'live'] });
    expect(heard).toEqual([expect.objectContaining({ code: 'DATABASE_CLOSED', message: expect.stringMatching(/upgrading it to version 2; reload/) })]);
    expect(await failureCode(old.get('todos', 't1'))).toBe('DATABASE_CLOSED');
    expect((await current.get('todos', 't1'))?.value).toEqual({ createdAt: 1 });
    // Opening again with the same declaration changes nothing.
    await open({ todos: { indexes: [['listId', 'createdAt'], 'done'] } });
    expect((await layout()).version).toBe(2);
  });

  it('mark records written before the live index existed, so whole-collection counts see them', async () => {
    const plain = await open(undefined);
    await plain.putMany([1, 2, 3].map((n) => ({ collective: 'notes', id: `n${n}`, value: { n } })));
    await plain.delete('notes', 'n2');
    plain.close();
    const declared = await open({ notes: {} });
    const live = await countIn(declared, 'live', (keys) => keys.range.bound(['notes', 1], ['notes', 1, []]));
    expect(live).toBe(2);
  });

  it('stay when an app version that declares none opens the database, and take its writes', async () => {
    await open({ notes: { indexes: ['n'] } });
    await open({ notes: { indexes: ['n', 'title'] } }); // version 2: the first connection closes
    opened.splice(0).forEach((replica) => replica.close());
    const plain = await open(undefined); // at the current version, not 1: no VersionError
    await plain.put('notes', 'a', { n: 1, title: 'A' });
    plain.close();
    const declared = await open({ notes: { indexes: ['n', 'title'] } });
    expect((await layout()).version).toBe(2);
    expect(await countIn(declared, 'live', (keys) => keys.range.bound(['notes', 1], ['notes', 1, []]))).toBe(1);
    expect(await countIn(declared, 'ix:title', (keys) => keys.range.bound(['notes'], ['notes', []]))).toBe(1);
  });

  it('move with the write that changes them: a pulled batch and its cursor, all or nothing', async () => {
    const replica = await open({ notes: { indexes: ['n'] } });
    const indexed = (): Promise<number> => countIn(replica, 'ix:n', (keys) => keys.range.bound(['notes'], ['notes', []]));
    const batch = [1, 2, 3].map((n) => pulled('notes', `p${n}`, n, { value: { n } }));
    const cursor = { peer: 'server', from: 0, to: 3 };
    // Refused (another tab applied from elsewhere): neither records nor index entries.
    expect(await failureCode(replica.applyRemote(batch, { policy: 'last-write-wins', cursor: { ...cursor, from: 7 } }))).toBe('CONFLICT');
    expect(await indexed()).toBe(0);
    await replica.applyRemote(batch, { policy: 'last-write-wins', cursor });
    expect(await indexed()).toBe(3);
    await replica.delete('notes', 'p2');
    expect(await indexed()).toBe(2);
  });

  it('fail DATABASE_BLOCKED, not a hang, when a connection ignores versionchange', async () => {
    await open({ todos: { indexes: ['createdAt'] } });
    opened.splice(0).forEach((replica) => replica.close());
    const stubborn = await openDatabase({ factory, name: 'app', blockedTimeoutMs: 1000, mustExist: true });
    stubborn.onversionchange = () => undefined;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const upgrade = failureCode(
      openReplica({ name: 'app', indexedDB: factory, IDBKeyRange, blockedTimeoutMs: 2000, open: withIndexes({ todos: { indexes: ['done'] } }) }),
    );
    await vi.advanceTimersByTimeAsync(2000);
    expect(await upgrade).toBe('DATABASE_BLOCKED');
    stubborn.close();
  });
});
