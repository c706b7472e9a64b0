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
import { openReplica, type IndexedReplica } from '../../src/store/idb-replica.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { Stores } from '../../src/store/schema.ts';
import { failureCode, pulled } from '../../src/testing/replica-contract.ts';

let factory = new IDBFactory();
const opened: IndexedReplica[] = [];
beforeEach(() => {
  factory = new IDBFactory();
});
afterEach(() => {
  for (const replica of opened.splice(0)) replica.close();
  vi.useRealTimers();
});

async function open(collections: CollectionDeclarations | undefined, onVersionChange?: (error: SyncError) => void): Promise<IndexedReplica> {
  const replica = await openReplica({
    name: 'app',
    indexedDB: factory,
    IDBKeyRange,
    ...(collections === undefined ? {} : { indexes: [...indexesOf(collections).values()] }),
    ...(onVersionChange === undefined ? {} : { onVersionChange }),
  });
  opened.push(replica);
  return replica;
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
    expect(heard).toEqual([expect.objectContaining({ code: 'DATABASE_CLOSED', message: expect.stringMatching(/upgrading the database to version 2; reload/) })]);
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
    const live = await declared.readRecords('count', (records, keys) =>
      new Promise<number>((resolve) => {
        const request = records.index('live').count(keys.range.bound(['notes', 1], ['notes', 1, []]));
        request.onsuccess = () => resolve(request.result);
      }),
    );
    expect(live).toBe(2);
  });

  it('move with the write that changes them: a pulled batch and its cursor, all or nothing', async () => {
    const replica = await open({ notes: { indexes: ['n'] } });
    const indexed = (): Promise<number> =>
      replica.readRecords('count', (records, keys) =>
        new Promise<number>((resolve) => {
          const request = records.index('ix:n').count(keys.range.bound(['notes'], ['notes', []]));
          request.onsuccess = () => resolve(request.result);
        }),
      );
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
      openReplica({ name: 'app', indexedDB: factory, IDBKeyRange, blockedTimeoutMs: 2000, indexes: [...indexesOf({ todos: { indexes: ['done'] } }).values()] }),
    );
    await vi.advanceTimersByTimeAsync(2000);
    expect(await upgrade).toBe('DATABASE_BLOCKED');
    stubborn.close();
  });
});
