/**
 * The query calls of one tab's worker: a collection's queries, counts and records,
 * answered from the replica's indexes in one read-only transaction each. The page's
 * declarations (indexes, app-data version) arrive at connect as plain data.
 */
import { ErrorCode, SyncError } from '../src/protocol/errors.ts';
import { collectionIndexes } from '../src/query/indexes.ts';
import { planQuery } from '../src/query/plan.ts';
import { countRecords, readPage } from '../src/query/run-query.ts';
import type { CollectionDeclarations, QueryCursor, QueryPage, QuerySpec, WatchResult, WatchTarget, Where } from '../src/query/types.ts';
import type { JsonValue } from '../src/protocol/types.ts';
import type { IdbReplica } from '../src/store/idb-replica.ts';
import { readRecords } from '../src/store/read-transaction.ts';
import type { IndexDefinition } from '../src/store/record-indexes.ts';

/** Refuses what is not a query before planning it (one message for every field: they are few). */
function checkQuery(query: QuerySpec): void {
  const { limit, after, orderBy } = query ?? {};
  if (
    typeof query !== 'object' ||
    query === null ||
    (limit !== undefined && !(Number.isSafeInteger(limit) && limit > 0)) ||
    (after !== undefined && !Array.isArray(after)) ||
    (orderBy !== undefined && typeof orderBy !== 'string')
  ) {
    throw new SyncError(
      ErrorCode.INVALID_PAYLOAD,
      `query ${JSON.stringify(query)}: expected { where?, orderBy?: a value path, reverse?, limit?: a positive integer, after?: the next of a previous page }`,
      { details: { field: 'query' } },
    );
  }
}

/** Answers queries over the declared collections of one replica. */
export class QueryCalls {
  readonly #replica: IdbReplica;
  readonly #declarations: CollectionDeclarations;
  readonly #indexes = new Map<string, IndexDefinition[]>();

  constructor(replica: IdbReplica, declarations: CollectionDeclarations | undefined) {
    this.#replica = replica;
    this.#declarations = declarations ?? {};
  }

  /** A page of `collection`'s records. */
  query(collection: string, query: QuerySpec): Promise<QueryPage> {
    checkQuery(query);
    const plan = planQuery(collection, this.#indexesOf(collection), query);
    const maxVersion = this.#declarations[collection]?.version ?? 1;
    return readRecords(this.#replica.connection, 'query', async (records, keys) => {
      const page = await readPage(records, keys, plan, {
        ...(query.limit === undefined ? {} : { limit: query.limit }),
        ...(query.after === undefined ? {} : { after: query.after }),
        maxVersion,
      });
      // Live records only reach a page (tombstones are in no index), so every one has a value.
      const entries = page.records.map((record) => ({ id: record.id, value: record.value as JsonValue }));
      return page.next === undefined ? { records: entries } : { records: entries, next: page.next as QueryCursor };
    });
  }

  /** How many of `collection`'s records pass `where`. */
  count(collection: string, where?: Where): Promise<number> {
    const plan = planQuery(collection, this.#indexesOf(collection), where === undefined ? {} : { where });
    return readRecords(this.#replica.connection, 'count', (records, keys) => countRecords(records, keys, plan));
  }

  /** What a live query shows now. */
  run(target: WatchTarget): Promise<WatchResult> {
    if (target.kind === 'query') return this.query(target.collection, target.query);
    if (target.kind === 'count') return this.count(target.collection, target.where);
    return this.#replica.get(target.collection, target.id);
  }

  #indexesOf(collection: string): IndexDefinition[] {
    let indexes = this.#indexes.get(collection);
    if (indexes === undefined) {
      if (typeof collection !== 'string' || !Object.hasOwn(this.#declarations, collection)) {
        throw new SyncError(
          ErrorCode.INVALID_CONFIG,
          `collection "${String(collection)}" is not declared: name it in defineCollections({ ${String(collection)}: { indexes: [...] } })`,
          { details: { field: 'collections' } },
        );
      }
      indexes = collectionIndexes(collection, this.#declarations);
      this.#indexes.set(collection, indexes);
    }
    return indexes;
  }
}
