/**
 * Typed collections as the app declares and uses them: `defineCollections({ … })` given
 * to `createSyncClient({ collections })`, and `client.collection(name)`. A collection
 * is a collective whose values have a schema (any Standard Schema library: valibot,
 * zod, arktype…), declared indexes and an app-data version.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { WriteReceipt } from '../engine/acks.ts';
import type { SyncError } from '../protocol/errors.ts';
import type { JsonValue } from '../protocol/types.ts';
import type { Condition, IndexSpec, QueryCursor } from '../query/types.ts';

/** How one collection is declared. `In` is what `put` takes, `Out` what reads give. */
export interface CollectionOptions<In = JsonValue, Out = In> {
  /**
   * Checks every value before it is written: a value that fails is refused with
   * `INVALID_PAYLOAD` naming the path, and is neither stored, logged nor pushed. What
   * the schema outputs is stored.
   */
  readonly schema?: StandardSchemaV1<In, Out>;
  /**
   * Value paths to index, made IndexedDB indexes in the replica: `'createdAt'`,
   * `'author.name'`, or `['listId', 'createdAt']` (compound). Index strings and numbers:
   * IndexedDB does not index booleans or null (a `where` on them is a scan).
   */
  readonly indexes?: readonly IndexSpec[];
  /**
   * The app-data version this client writes (default 1). Values carry it (under `$v`);
   * values of an older version are passed through `migrate` when read; values of a newer
   * version (a newer client wrote them) are kept and synced but left out of reads.
   */
  readonly version?: number;
  /** Turns a value written under `fromVersion` (older than `version`) into the current form. */
  readonly migrate?: (value: JsonValue, fromVersion: number) => Out;
}

/** The collections of a client, by name. */
export type CollectionsOptions = { readonly [name: string]: CollectionOptions<unknown, unknown> };

/** What reads of a declared collection give: its schema's output (JSON values without one). */
export type ValueOf<O> = O extends CollectionOptions<unknown, infer Out> ? (unknown extends Out ? JsonValue : Out) : JsonValue;

/** What `put` takes: its schema's input (JSON values without one). */
export type InputOf<O> = O extends CollectionOptions<infer In, unknown> ? (unknown extends In ? JsonValue : In) : JsonValue;

/** The top-level fields of `T`, for where and orderBy (any string when `T` is not an object type). */
export type FieldOf<T> = T extends readonly unknown[] ? string : T extends object ? Extract<keyof T, string> : string;

/** Conditions by field (or `'nested.path'`), all of which must hold. */
export type CollectionWhere<T> = { readonly [K in FieldOf<T>]?: Condition } & {
  readonly [path: `${string}.${string}`]: Condition | undefined;
};

/** A query of a collection; see `QuerySpec` for how it is answered. */
export interface CollectionQuery<T> {
  /** On an indexed path, conditions pick the index; on others they filter (a scan). */
  readonly where?: CollectionWhere<T>;
  /** Order by this path; it must be served by a declared index. */
  readonly orderBy?: FieldOf<T> | `${string}.${string}`;
  readonly reverse?: boolean;
  readonly limit?: number;
  /** The `next` of a previous page. */
  readonly after?: QueryCursor | undefined;
}

/** One record of a collection. */
export interface CollectionRecord<T> {
  readonly id: string;
  readonly value: T;
}

/** A page of a query. */
export interface CollectionPage<T> {
  readonly records: readonly CollectionRecord<T>[];
  /** Present when more records follow: pass it as `after`. */
  readonly next?: QueryCursor;
}

/** Receives a live query's failures (the watch stays and runs again on the next change). */
export type WatchErrorListener = (error: SyncError) => void;

/**
 * A declared collection: its records are those of the collective of the same name.
 * Reads run in the worker over the collection's indexes; every method fails with a
 * SyncError.
 */
export interface Collection<T = JsonValue, In = T> {
  readonly name: string;
  /**
   * Validates and writes a record (one transaction, synced like any write); its receipt
   * is for `client.whenPushed`.
   */
  put(id: string, value: In): Promise<WriteReceipt>;
  /** Validates every value, then writes them all in one transaction (or none): one receipt. */
  putMany(records: readonly CollectionRecord<In>[]): Promise<WriteReceipt>;
  /** The record's value, or undefined. */
  get(id: string): Promise<T | undefined>;
  /** Deletes the record; the receipt is for `client.whenPushed`. */
  delete(id: string): Promise<WriteReceipt>;
  /** A page of records; without `orderBy`, in the order of the index serving `where`, else by id. */
  query(query?: CollectionQuery<T>): Promise<CollectionPage<T>>;
  /** How many records pass `where` (from the index when one serves it: nothing is read). */
  count(where?: CollectionWhere<T>): Promise<number>;
  /**
   * A live query: `onResult` hears the page now, then again whenever a write (in any
   * tab), a synced batch or a reset may have changed it. Returns the unsubscribe.
   */
  watch(query: CollectionQuery<T>, onResult: (page: CollectionPage<T>) => void, onError?: WatchErrorListener): () => void;
  /** A live {@link count}. */
  watchCount(where: CollectionWhere<T> | undefined, onResult: (count: number) => void, onError?: WatchErrorListener): () => void;
  /** A live {@link get}. */
  watchRecord(id: string, onResult: (value: T | undefined) => void, onError?: WatchErrorListener): () => void;
}

/** The handle type of collection `O` as declared. */
export type CollectionOf<O> = Collection<ValueOf<O>, InputOf<O>>;
