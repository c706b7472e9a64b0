/**
 * Peer: RxDB (open-core) over its Dexie storage, single-tab (`multiInstance: false`),
 * no schema validator (RxDB's fastest free setup). Documents are the bench values with
 * their id; writes use the durability of the compared case through the storage's Dexie
 * settings. Its initial sync is `replicateRxCollection` pulling our server's feed over
 * HTTP, one pull page per RxDB batch: the same wire, the same server.
 */
import { createRxDatabase, type RxCollection, type RxDatabase, type RxJsonSchema } from 'rxdb/plugins/core';
import { replicateRxCollection } from 'rxdb/plugins/replication';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import type { PullResponse } from '../../src/protocol/types.ts';
import { benchRecords, type BenchValue } from '../../tools/records.ts';
import { freshName } from './plain-idb.ts';
import type { LimitWrite } from './idb-limits.ts';
import { handshake, pullPage, type PageServer } from './wire-probe.ts';

type NoteDoc = BenchValue & { id: string };

const NOTE_SCHEMA: RxJsonSchema<NoteDoc> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 40 },
    title: { type: 'string' },
    body: { type: 'string' },
    done: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
    n: { type: 'number' },
  },
  required: ['id', 'title', 'body', 'done', 'tags', 'n'],
};

interface Opened {
  db: RxDatabase;
  notes: RxCollection<NoteDoc>;
}

const kept = new Map<string, Opened>();

async function open(name: string, durability: IDBTransactionDurability): Promise<Opened> {
  // RxDB database names must be lowercase letters, digits and a few signs.
  const db = await createRxDatabase({
    name: name.toLowerCase().replace(/[^a-z0-9]/g, ''),
    storage: getRxStorageDexie({ chromeTransactionDurability: durability }),
    multiInstance: false,
  });
  const collections = await db.addCollections({ notes: { schema: NOTE_SCHEMA } });
  return { db, notes: collections['notes'] as RxCollection<NoteDoc> };
}

const docsOf = (count: number, bytes: number): NoteDoc[] => benchRecords(count, bytes).map((r) => ({ id: r.id, ...r.value }));

/** `count` documents with one `bulkInsert`; ms. */
export async function rxdbBulkInsert(options: LimitWrite): Promise<number> {
  const o = await open(freshName('rxdb-bulk'), options.durability);
  const docs = docsOf(options.count, options.bytes);
  const start = performance.now();
  const result = await o.notes.bulkInsert(docs);
  const ms = performance.now() - start;
  await o.db.remove();
  if (result.error.length > 0) throw new Error(`RxDB bulkInsert: ${result.error.length} errors`);
  return ms;
}

/** `count` awaited `insert`s; ms. */
export async function rxdbInsertOne(options: LimitWrite): Promise<number> {
  const o = await open(freshName('rxdb-one'), options.durability);
  const docs = docsOf(options.count, options.bytes);
  const start = performance.now();
  for (const doc of docs) await o.notes.insert(doc);
  const ms = performance.now() - start;
  await o.db.remove();
  return ms;
}

/**
 * `replicateRxCollection` (pull only, not live) of the server's whole feed in RxDB
 * batches of `batch`: handshake (not timed), then from the start of replication to
 * `awaitInitialReplication`. Kept for reading. RxDB ends a pull when a batch comes back
 * short, so the handler fills each batch from as many pages as it takes.
 */
export async function rxdbReplicate(options: PageServer & { batch: number; durability: IDBTransactionDurability }): Promise<{ ms: number; count: number; name: string }> {
  const name = freshName('rxdb-sync');
  const o = await open(name, options.durability);
  kept.set(name, o);
  const instanceId = await handshake(options);
  const start = performance.now();
  const state = replicateRxCollection<NoteDoc, { cursor: number }>({
    collection: o.notes,
    replicationIdentifier: `pulsesync-bench-${name}`,
    live: false,
    retryTime: 60_000,
    waitForLeadership: false,
    pull: {
      batchSize: options.batch,
      async handler(checkpoint, batchSize) {
        let cursor = checkpoint?.cursor ?? 0;
        const documents: (NoteDoc & { _deleted: boolean })[] = [];
        for (let more = true; more && documents.length < batchSize; ) {
          const page = JSON.parse(await pullPage(options, instanceId, cursor, batchSize - documents.length)) as PullResponse;
          for (const c of page.changes) documents.push({ ...(c.op === 'put' ? (c.value as BenchValue) : ({} as BenchValue)), id: c.id, _deleted: c.op === 'delete' });
          cursor = page.newCursor;
          more = page.hasMore;
        }
        return { documents, checkpoint: { cursor } };
      },
    },
  });
  let subscription: { unsubscribe(): void } | undefined;
  const failed = new Promise<never>((_, reject) => {
    subscription = state.error$.subscribe((error) => reject(new Error(`RxDB replication failed: ${error.message}`)));
  });
  failed.catch(() => undefined); // an error after the race is over is not news
  let ms: number;
  try {
    await Promise.race([state.awaitInitialReplication(), failed]);
    ms = performance.now() - start;
  } finally {
    subscription?.unsubscribe();
    await state.cancel();
  }
  const count = await o.notes.count().exec();
  return { ms, count, name };
}

/** Reads every document of a kept database (`find().exec()`); ms and count. */
export async function rxdbReadAll(options: { name: string }): Promise<{ ms: number; count: number }> {
  const o = kept.get(options.name);
  if (o === undefined) throw new Error(`no kept RxDB database ${options.name}`);
  const start = performance.now();
  const docs = await o.notes.find().exec();
  return { ms: performance.now() - start, count: docs.length };
}

/** Removes a kept database. */
export async function rxdbDrop(options: { name: string }): Promise<void> {
  const o = kept.get(options.name);
  kept.delete(options.name);
  await o?.db.remove();
}
