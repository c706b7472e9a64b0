/**
 * The IndexedDB replica under fake-indexeddb: the LocalStore contract, then what only
 * this implementation can show — IndexedDB failing underneath it, and its cost in puts
 * and gets (the speed design: a write of N is N record puts + 1 log entry; a pulled
 * batch of N is N puts and no per-record read).
 */
import { forceCloseDatabase, IDBDatabase as FakeIDBDatabase, IDBFactory, IDBKeyRange, IDBObjectStore } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import { openReplica } from '../../src/store/idb-replica.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import type { LocalStore } from '../../src/store/types.ts';
import { replicaFields } from '../../src/store/replica-fields.ts';
import { failureCode, pulled, runReplicaContract } from '../../src/testing/replica-contract.ts';

let factory = new IDBFactory();
beforeEach(() => {
  factory = new IDBFactory();
});

runReplicaContract(
  (name, options) => openReplica({ name, indexedDB: factory, IDBKeyRange, ...(options?.fields === true ? { fields: replicaFields } : {}) }),
  'IndexedDB replica (fake-indexeddb)',
);
// The whole contract again on a replica with field-level records and history, as the full worker opens it.
runReplicaContract((name) => openReplica({ name, indexedDB: factory, IDBKeyRange, fields: replicaFields }), 'IndexedDB replica with fields (fake-indexeddb)');

const PEER = 'server-1';
const opened: LocalStore[] = [];
/** Connections the replica opened, newest last, so a test can pull the plug on one. */
let connections: IDBDatabase[] = [];

async function open(name = 'replica', options: { blockedTimeoutMs?: number } = {}): Promise<LocalStore> {
  const replica = await openReplica({ name, indexedDB: watchedFactory(), IDBKeyRange, ...options });
  opened.push(replica);
  return replica;
}

/** The test's factory, with every connection it opens recorded in `connections`. */
function watchedFactory(): IDBFactory {
  const target = factory;
  return new Proxy(target, {
    get(obj, key) {
      if (key === 'open') {
        return (name: string, version?: number) => {
          const request = target.open(name, version);
          request.addEventListener('success', () => connections.push(request.result));
          return request;
        };
      }
      const value: unknown = Reflect.get(obj, key, obj);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(obj) : value;
    },
  });
}

/** Simulates the browser closing the connection (storage cleared, disk failure…). */
function browserCloses(db: IDBDatabase | undefined): void {
  forceCloseDatabase(db as unknown as Parameters<typeof forceCloseDatabase>[0]);
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = factory.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}

async function databaseNames(): Promise<string[]> {
  return (await factory.databases()).map((d) => d.name ?? '');
}

/** Counts calls of an object-store method per store name, still doing the real work. */
function countCalls(method: 'put' | 'get' | 'getAll'): Record<string, number> {
  const counts: Record<string, number> = {};
  const original = IDBObjectStore.prototype[method] as (...args: unknown[]) => IDBRequest;
  vi.spyOn(IDBObjectStore.prototype, method).mockImplementation(function (this: IDBObjectStore, ...args: unknown[]) {
    counts[this.name] = (counts[this.name] ?? 0) + 1;
    return original.apply(this, args);
  } as never);
  return counts;
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  for (const replica of opened.splice(0)) replica.close();
  connections = [];
});

describe('IndexedDB replica: cost of writes and applies', () => {
  it('writes N records with exactly N record puts and one log entry', async () => {
    const replica = await open();
    const puts = countCalls('put');
    await replica.putMany(Array.from({ length: 250 }, (_, i) => ({ collective: 'c', id: `r${i}`, value: { i } })));
    expect(puts).toEqual({ records: 250, log: 1, meta: 1 });
  });

  it('applies a pulled batch of N with N puts and no record reads when nothing is pending', async () => {
    const replica = await open();
    const batch = Array.from({ length: 200 }, (_, i) => pulled('c', `r${i}`, i + 1));
    const puts = countCalls('put');
    const gets = countCalls('get');
    await replica.applyRemote(batch, { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 200 } });
    expect(puts).toEqual({ records: 200, meta: 1, cursors: 1 });
    expect(gets.records ?? 0).toBe(0);
    expect(await replica.list('c')).toHaveLength(200);
  });

  it('reads the change log once, not the records, when local changes are pending', async () => {
    const replica = await open();
    await replica.putMany([{ collective: 'c', id: 'r1', value: 'mine' }]);
    await replica.put('c', 'r2', 'mine too');
    const gets = countCalls('get');
    const getAlls = countCalls('getAll');
    const batch = Array.from({ length: 50 }, (_, i) => pulled('c', `r${i}`, i + 1));
    const result = await replica.applyRemote(batch, { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 50 } });
    expect(gets.records ?? 0).toBe(0);
    expect(getAlls).toEqual({ log: 1 });
    expect(result.conflicts.map((c) => c.id)).toEqual(['r1', 'r2']);
  });
});

describe('IndexedDB replica: durability', () => {
  it('writes app data with the durability asked for, and sync bookkeeping relaxed', async () => {
    const replica = await openReplica({ name: 'd', indexedDB: factory, IDBKeyRange, durability: 'strict' });
    opened.push(replica);
    const seen: { stores: string; durability: string | undefined }[] = [];
    const original = FakeIDBDatabase.prototype.transaction;
    vi.spyOn(FakeIDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
      if (args[1] === 'readwrite') seen.push({ stores: [args[0]].flat().join(','), durability: args[2]?.durability });
      return original.apply(this, args);
    });
    await replica.put('c', 'a', 1);
    await replica.applyRemote([pulled('c', 'b', 1)], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 1 } });
    await replica.applyRemote([pulled('c', 'c', 2)], { policy: 'last-write-wins' });
    await replica.acknowledge(PEER, 1);
    expect(seen).toEqual([
      { stores: 'records,log,meta', durability: 'strict' },
      { stores: 'records,log,meta,cursors', durability: 'relaxed' },
      { stores: 'records,log,meta', durability: 'strict' },
      { stores: 'records,log,cursors,meta', durability: 'relaxed' },
    ]);
  });
});

describe('IndexedDB replica: a write resolves once committed', () => {
  /** What happens, in order: each read-write transaction's end, and each write's resolution. */
  function watchCommits(): string[] {
    const seen: string[] = [];
    const original = FakeIDBDatabase.prototype.transaction;
    vi.spyOn(FakeIDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
      const tx = original.apply(this, args);
      if (args[1] === 'readwrite') {
        tx.addEventListener('complete', () => seen.push('committed'));
        tx.addEventListener('abort', () => seen.push('aborted'));
      }
      return tx;
    });
    return seen;
  }

  it('resolves a put only after its transaction committed, with the default durability', async () => {
    const replica = await open();
    await replica.put('c', 'a', 1);
    const seen = watchCommits();
    await replica.put('c', 'b', 2).then(() => seen.push('resolved'));
    expect(seen).toEqual(['committed', 'resolved']);
  });

  it('resolves a put planned from a state another tab moved only after its second transaction committed, the first leaving nothing', async () => {
    const replica = await open();
    const otherTab = await open();
    await replica.put('c', 'a', 1);
    await otherTab.put('c', 'b', 2);
    const seen = watchCommits();
    const puts = countCalls('put');
    await replica.put('c', 'c', 3).then(() => seen.push('resolved'));
    expect(seen).toEqual(['aborted', 'committed', 'resolved']);
    expect(puts).toEqual({ records: 2, log: 2, meta: 2 });
    expect((await replica.pendingChanges(10)).map((c) => [c.seq, c.id])).toEqual([[1, 'a'], [2, 'b'], [3, 'c']]);
  });

  it('plans the next write from its own last one: one transaction, one read of the state', async () => {
    const replica = await open();
    await replica.put('c', 'a', 1);
    const seen = watchCommits();
    const gets = countCalls('get');
    await replica.put('c', 'b', 2);
    expect(seen).toEqual(['committed']);
    expect(gets).toEqual({ meta: 1 });
  });
});

describe('IndexedDB replica: failures underneath', () => {
  it('rolls back a putMany that hits the storage quota and fails QUOTA_EXCEEDED', async () => {
    const replica = await open();
    await replica.put('c', 'before', 0);
    let recordPuts = 0;
    const original = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      const request = original.apply(this, args);
      if (this.name === 'records' && ++recordPuts === 3) {
        // What a browser does when the origin is out of quota: the transaction aborts
        // with QuotaExceededError on `transaction.error` (request.error says little).
        (this.transaction as unknown as { _abort(name: string): void })._abort('QuotaExceededError');
      }
      return request;
    });
    const write = replica.putMany(Array.from({ length: 10 }, (_, i) => ({ collective: 'c', id: `r${i}`, value: i })));
    expect(await failureCode(write)).toBe('QUOTA_EXCEEDED');
    vi.restoreAllMocks();

    expect((await replica.list('c')).map((r) => r.id)).toEqual(['before']);
    expect(await replica.pendingCount()).toBe(1);
    await replica.put('c', 'after', 1);
    expect((await replica.pendingChanges(10)).map((c) => c.seq)).toEqual([1, 2]);
  });

  it('reopens once, not a hang, when its connection is closed underneath it with no close event (Safari)', async () => {
    const replica = await open('r');
    connections.at(-1)?.close();
    await replica.put('c', 'a', 1);
    expect(await replica.pendingCount()).toBe(1);
    expect(connections).toHaveLength(2);
  });

  it('fails DATABASE_CLOSED, not a hang, when its connection is closed underneath it and the database deleted', async () => {
    const replica = await open('r');
    connections.at(-1)?.close();
    await deleteDatabase('r');
    expect(await failureCode(replica.put('c', 'a', 1))).toBe('DATABASE_CLOSED');
    expect(await failureCode(replica.pendingCount())).toBe('DATABASE_CLOSED');
  });

  it('fails DATABASE_CLOSED, saying so, once another tab deletes the database', async () => {
    const replica = await open('shared');
    await replica.put('c', 'a', 1);
    await deleteDatabase('shared'); // not blocked: the replica lets go on versionchange
    const error = await replica.get('c', 'a').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DATABASE_CLOSED', message: expect.stringMatching(/deleting/) });
  });

  it('fails DATABASE_CLOSED once another tab upgrades the database', async () => {
    const replica = await open('shared');
    const newer = await openDatabase({ factory, name: 'shared', blockedTimeoutMs: 1000, mustExist: true, version: 2 });
    newer.close();
    const error = await replica.put('c', 'a', 1).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DATABASE_CLOSED', message: expect.stringMatching(/upgrading.*version 2/) });
  });

  it('reopens after the browser closes the connection, losing nothing', async () => {
    const replica = await open('r');
    await replica.put('c', 'a', 1);
    browserCloses(connections.at(-1));
    await replica.put('c', 'b', 2);
    expect((await replica.list('c')).map((r) => r.id)).toEqual(['a', 'b']);
    expect((await replica.pendingChanges(10)).map((c) => c.seq)).toEqual([1, 2]);
    expect(connections).toHaveLength(2);
  });

  it('does not recreate a database deleted after the browser closed it', async () => {
    const replica = await open('r');
    await replica.put('c', 'a', 1);
    browserCloses(connections.at(-1));
    await deleteDatabase('r');
    const error = await replica.get('c', 'a').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DATABASE_CLOSED', message: expect.stringMatching(/deleted/) });
    expect(await databaseNames()).not.toContain('r');
    expect(await failureCode(replica.put('c', 'b', 1))).toBe('DATABASE_CLOSED');
  });

  it('does not carry on in a database deleted and recreated by another tab', async () => {
    const replica = await open('r');
    browserCloses(connections.at(-1));
    await deleteDatabase('r');
    const other = await open('r');
    expect(other.instanceId).not.toBe(replica.instanceId);
    expect(await failureCode(replica.put('c', 'a', 1))).toBe('DATABASE_CLOSED');
    expect(await other.pendingCount()).toBe(0);
  });

  it('fails DATABASE_BLOCKED instead of hanging when its upgrade is blocked', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const old = await openDatabase({ factory, name: 'r', blockedTimeoutMs: 1000, mustExist: false });
    old.onversionchange = () => undefined; // an old tab that ignores versionchange
    const upgrade = openDatabase({ factory, name: 'r', blockedTimeoutMs: 3000, mustExist: true, version: 2 });
    const outcome = failureCode(upgrade);
    await vi.advanceTimersByTimeAsync(3000);
    expect(await outcome).toBe('DATABASE_BLOCKED');

    // The open went through once the old tab closed: the connection nobody owns is closed
    // again, so it does not block the next upgrade in turn.
    old.close();
    vi.useRealTimers();
    const next = await openDatabase({ factory, name: 'r', blockedTimeoutMs: 1000, mustExist: true, version: 3 });
    expect(next.version).toBe(3);
    next.close();
  });

  it('fails DATABASE_BLOCKED when opening waits behind another tab blocked deleting it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const holder = await openDatabase({ factory, name: 'r', blockedTimeoutMs: 1000, mustExist: false });
    holder.onversionchange = () => undefined;
    factory.deleteDatabase('r'); // blocked by `holder`
    const opening = failureCode(open('r', { blockedTimeoutMs: 2000 }));
    await vi.advanceTimersByTimeAsync(2000);
    expect(await opening).toBe('DATABASE_BLOCKED');
    holder.close();
  });
});

describe('IndexedDB replica: crashes', () => {
  it('loses no unacknowledged change when it crashes after a push and before the ack', async () => {
    const replica = await open('r');
    await replica.putMany([1, 2, 3].map((n) => ({ collective: 'c', id: `r${n}`, value: n })));
    const sent = await replica.pendingChanges(10);
    browserCloses(connections.at(-1));
    replica.close();
    const again = await open('r');
    expect(await again.pendingChanges(10)).toEqual(sent);
  });

  it('resumes pulling after the last batch saved, and refuses to apply it twice', async () => {
    const replica = await open('r');
    await replica.applyRemote([pulled('c', 'a', 1), pulled('c', 'b', 2)], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 2 } });
    browserCloses(connections.at(-1));
    replica.close();
    const again = await open('r');
    expect(await again.pullCursor(PEER)).toBe(2);
    expect(await failureCode(again.applyRemote([pulled('c', 'a', 1)], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 2 } }))).toBe('CONFLICT');
    await again.applyRemote([pulled('c', 'c', 3)], { policy: 'last-write-wins', cursor: { peer: PEER, from: 2, to: 3 } });
    expect((await again.list('c')).map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });

  it('keeps a write cut by a crash all or nothing: neither records nor log entry stay', async () => {
    const replica = await open('r');
    await replica.put('c', 'before', 0);
    let recordPuts = 0;
    const original = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      const request = original.apply(this, args);
      if (this.name === 'records' && ++recordPuts === 50) {
        // A crash midway: the browser aborts the transaction and drops the connection.
        // (fake-indexeddb's forced close waits for transactions instead of aborting them.)
        (this.transaction as unknown as { _abort(name: string): void })._abort('UnknownError');
        browserCloses(connections.at(-1));
      }
      return request;
    });
    const write = replica.putMany(Array.from({ length: 100 }, (_, i) => ({ collective: 'c', id: `r${i}`, value: i })));
    expect(await failureCode(write)).toBe('STORAGE');
    vi.restoreAllMocks();
    replica.close();
    const again = await open('r');
    expect((await again.list('c')).map((r) => r.id)).toEqual(['before']);
    expect(await again.pendingCount()).toBe(1);
  });
});

describe('IndexedDB replica: listeners', () => {
  it('reports a throwing listener and still resolves the write', async () => {
    const replica = await open();
    const report = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    replica.subscribe(() => {
      throw new Error('listener bug');
    });
    await replica.put('c', 'a', 1);
    expect(report).toHaveBeenCalledOnce();
    expect((await replica.get('c', 'a'))?.value).toBe(1);
  });
});

describe('IndexedDB replica: a database written by 0.1', () => {
  const WRITER = '01900000-0000-7000-8000-0000000000bb';
  const HLC = formatHlc({ wallMs: 1_700_000_000_000, counter: 0, node: WRITER });

  /** Puts raw `records` rows in the layout 0.1 wrote: `deleted`, and the writer under `origin`. */
  async function seedRows(name: string, rows: readonly object[]): Promise<void> {
    const db = await openDatabase({ factory, name, blockedTimeoutMs: 1000, mustExist: false });
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(['records'], 'readwrite');
      for (const row of rows) tx.objectStore('records').put(row);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }

  it('reads its rows with their writer as source, and its tombstones as absent', async () => {
    await seedRows('old', [
      { collective: 'c', id: 'live', value: { v: 1 }, deleted: false, hlc: HLC, origin: WRITER, version: 3 },
      { collective: 'c', id: 'gone', deleted: true, hlc: HLC, origin: WRITER, version: 4 },
    ]);
    const replica = await open('old');
    expect(await replica.get('c', 'live')).toEqual({ collective: 'c', id: 'live', value: { v: 1 }, hlc: HLC, source: WRITER, version: 3 });
    expect(await replica.get('c', 'gone')).toBeUndefined();
    expect((await replica.list('c')).map((r) => r.id)).toEqual(['live']);
  });

  it('keeps writing rows a 0.1 tab still open on the same database can read', async () => {
    const replica = await open('shared-with-old');
    await replica.put('c', 'a', 1);
    await replica.delete('c', 'b');
    replica.close();
    const db = await openDatabase({ factory, name: 'shared-with-old', blockedTimeoutMs: 1000, mustExist: true });
    const rows = await new Promise<unknown[]>((resolve, reject) => {
      const request = db.transaction(['records'], 'readonly').objectStore('records').getAll();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    db.close();
    expect(rows).toEqual([
      expect.objectContaining({ id: 'a', value: 1, deleted: false, origin: replica.instanceId }),
      expect.objectContaining({ id: 'b', deleted: true, origin: replica.instanceId }),
    ]);
    expect(rows.every((row) => !Object.hasOwn(row as object, 'source') && !Object.hasOwn(row as object, 'op'))).toBe(true);
  });
});
