/**
 * Collections' whole-collection reads answered on the page, straight from IndexedDB
 * (here the world's fake one): the same records, order and cursors as the worker's
 * answer, tombstones left out, pending local writes in, values of a newer app version
 * left out; the worker answers when the page has no database to read, and the page
 * never creates one.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { CollectionsSyncClient } from '../../src/client/collections-client.ts';
import type { CollectionsOptions } from '../../src/client/collection-types.ts';
import { defineCollections } from '../../src/client/define-collections.ts';
import type { PageIndexedDb } from '../../src/client/page-records.ts';
import type { CollectionsClient, DefinedCollections } from '../../src/client/types.ts';
import type { JsonValue } from '../../src/protocol/types.ts';
import { tabsWorld } from './tabs.ts';

let world: ReturnType<typeof tabsWorld>;
afterEach(async () => {
  await world?.closeAll();
});

const declared = { notes: { indexes: ['title'] } } as const;

/** The page's IndexedDB, counting the databases it opens. */
function countingIdb(factory: IDBFactory): PageIndexedDb & { opened: number } {
  const idb = {
    opened: 0,
    IDBKeyRange,
    indexedDB: Object.assign(Object.create(factory) as IDBFactory, {
      open: (name: string, version?: number) => {
        idb.opened++;
        return factory.open(name, version);
      },
    }),
  };
  return idb;
}

/** `declared` with a client that reads on the page through `idb` (none: every read by the worker, as in Node). */
function collectionsReading<C extends CollectionsOptions>(collections: C, idb: PageIndexedDb | undefined): DefinedCollections<C> {
  return { ...defineCollections(collections), createClient: (options) => new CollectionsSyncClient(options, collections, idb) as CollectionsClient<C> };
}

describe('whole-collection reads on the page', () => {
  it('give what the worker gives: live records by id, pending writes in, tombstones out', async () => {
    world = tabsWorld();
    const idb = countingIdb(world.indexedDB);
    const onPage = world.open({ collections: collectionsReading(declared, idb) });
    const byWorker = world.open({ collections: collectionsReading(declared, undefined) });
    const notes = onPage.collection('notes');
    // Nothing syncs here: every record is a pending local write.
    await notes.putMany([5, 3, 1, 4, 2].map((n) => ({ id: `n${n}`, value: { title: `t${n}` } })));
    await notes.delete('n3');
    await onPage.put('other', 'x', { title: 'elsewhere' });

    const all = await notes.query();
    expect(idb.opened).toBe(1);
    expect(all).toEqual(await byWorker.collection('notes').query());
    expect(all.records.map((r) => r.id)).toEqual(['n1', 'n2', 'n4', 'n5']);
    expect(await onPage.list('notes')).toEqual(await byWorker.list('notes'));
    expect((await onPage.list('notes')).map((e) => [e.id, e.value, e.source])).toEqual(
      ['n1', 'n2', 'n4', 'n5'].map((id) => [id, { title: `t${id.slice(1)}` }, expect.any(String)]),
    );
    expect(idb.opened).toBe(1); // one connection, kept
  });

  it('pages by limit and after with the worker\'s cursors, so either continues the other', async () => {
    world = tabsWorld();
    const onPage = world.open({ collections: collectionsReading(declared, countingIdb(world.indexedDB)) });
    const byWorker = world.open({ collections: collectionsReading(declared, undefined) });
    const notes = onPage.collection('notes');
    await notes.putMany(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => ({ id, value: { title: id } })));
    await notes.delete('b');

    const first = await notes.query({ limit: 2 });
    expect(first).toEqual(await byWorker.collection('notes').query({ limit: 2 }));
    expect(first.records.map((r) => r.id)).toEqual(['a', 'c']);
    const second = await byWorker.collection('notes').query({ limit: 2, after: first.next });
    const third = await notes.query({ limit: 2, after: second.next });
    expect([...second.records, ...third.records].map((r) => r.id)).toEqual(['d', 'e', 'f', 'g']);
    expect(third.next).toBeUndefined();
    // A query the page does not answer still goes to the worker (with its checks).
    expect((await notes.query({ where: { title: 'c' } })).records.map((r) => r.id)).toEqual(['c']);
    await expect(notes.query({ limit: 0 })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
  });

  it('leave out values of a newer app version, as the worker does', async () => {
    world = tabsWorld();
    const v2 = { notes: { version: 2, migrate: (value: JsonValue) => value } } as const;
    const newer = world.open({ collections: collectionsReading(v2, undefined) });
    await newer.collection('notes').put('new', { title: 'v2' });
    const older = world.open({ collections: collectionsReading(declared, countingIdb(world.indexedDB)) });
    await older.collection('notes').put('old', { title: 'v1' });
    expect((await older.collection('notes').query({ limit: 1 })).records).toEqual([{ id: 'old', value: { title: 'v1' } }]);
    expect((await older.collection('notes').query()).records.map((r) => r.id)).toEqual(['old']);
  });

  it('read the new replica after clearLocalData', async () => {
    world = tabsWorld();
    const idb = countingIdb(world.indexedDB);
    const client = world.open({ collections: collectionsReading(declared, idb) });
    const notes = client.collection('notes');
    await notes.put('before', { title: 'gone' });
    expect((await notes.query()).records.map((r) => r.id)).toEqual(['before']);
    await client.clearLocalData({ discardPending: true });
    await notes.put('after', { title: 'kept' });
    expect((await notes.query()).records.map((r) => r.id)).toEqual(['after']);
    expect((await client.list('notes')).map((e) => e.id)).toEqual(['after']);
  });

  it('are the worker\'s when the page has no database to read, and never create it', async () => {
    world = tabsWorld();
    // Another IndexedDB than the worker's: the page finds no database there.
    const elsewhere = new IDBFactory();
    const idb = countingIdb(elsewhere);
    const client = world.open({ collections: collectionsReading(declared, idb) });
    await client.collection('notes').put('n1', { title: 'only in the worker' });
    expect((await client.collection('notes').query()).records.map((r) => r.id)).toEqual(['n1']);
    expect((await client.list('notes')).map((e) => e.id)).toEqual(['n1']);
    expect(idb.opened).toBeGreaterThan(0);
    expect(await elsewhere.databases()).toEqual([]);
  });

  it('never hold up a version change: the page lets its connection go', async () => {
    world = tabsWorld();
    const client = world.open({ collections: collectionsReading(declared, countingIdb(world.indexedDB)) });
    await client.collection('notes').put('n1', { title: 'x' });
    expect((await client.collection('notes').query()).records).toHaveLength(1); // the page's connection is open now
    const version = await new Promise<number>((resolve) => {
      const request = world.indexedDB.open(world.name);
      request.onsuccess = () => {
        resolve(request.result.version);
        request.result.close();
      };
    });
    let blocked = false;
    await new Promise<void>((resolve, reject) => {
      const request = world.indexedDB.open(world.name, version + 1);
      request.onblocked = () => {
        blocked = true;
      };
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
      request.onerror = () => reject(request.error);
    });
    expect(blocked).toBe(false);
  });

  it('fail SHUTDOWN once the client is closed', async () => {
    world = tabsWorld();
    const client = world.open({ collections: collectionsReading(declared, countingIdb(world.indexedDB)) });
    await client.collection('notes').put('n1', { title: 'x' });
    await client.close();
    await expect(client.collection('notes').query()).rejects.toMatchObject({ code: 'SHUTDOWN' });
    await expect(client.list('notes')).rejects.toMatchObject({ code: 'SHUTDOWN' });
  });
});
