/**
 * The handle of one declared collection (`client.collection(name)`): values checked and
 * stamped on the way in, migrated on the way out, everything else asked of the worker
 * through the client (`CollectionHost`). A query's page crosses from the worker once.
 */
import { SyncError } from '../protocol/errors.ts';
import type { QueryPage, QuerySpec, WatchMessage, WatchResult, WatchTarget } from '../query/types.ts';
import type { RecordEntry } from '../store/types.ts';
import type { WriteReceipt } from '../engine/acks.ts';
import type { CollectionCalls, SyncWorkerApi } from '../worker-api/sync-worker-api.ts';
import type {
  Collection,
  CollectionOptions,
  CollectionPage,
  CollectionQuery,
  CollectionRecord,
  CollectionWhere,
  WatchErrorListener,
} from './collection-types.ts';
import { valueFromStore, valueToStore } from './collection-values.ts';

/** The worker's calls a collection makes. */
export type CollectionApi = SyncWorkerApi & CollectionCalls;

/** What a collection needs of its client. */
export interface CollectionHost {
  /** Calls the worker's `what` with `args` once connected; failures come back as SyncErrors. */
  call<K extends keyof CollectionApi>(what: K, args: Parameters<CollectionApi[K]>): Promise<Awaited<ReturnType<CollectionApi[K]>>>;
  /** A page of this collection's records: read on the page when it can, else by the worker. */
  query(query: QuerySpec): Promise<QueryPage>;
  /** Starts a live query; `listener` hears its messages until the returned unsubscribe. */
  watch(target: WatchTarget, listener: (message: WatchMessage) => void): () => void;
}

/** A collection's handle; see the file comment. */
export class CollectionHandle<T, In> implements Collection<T, In> {
  readonly name: string;
  readonly #options: CollectionOptions<unknown, unknown>;
  readonly #host: CollectionHost;

  constructor(name: string, options: CollectionOptions<unknown, unknown>, host: CollectionHost) {
    this.name = name;
    this.#options = options;
    this.#host = host;
  }

  async put(id: string, value: In): Promise<WriteReceipt> {
    const stored = await valueToStore(this.name, this.#options, id, value);
    return this.#host.call('put', [this.name, id, stored]);
  }

  async putMany(records: readonly CollectionRecord<In>[]): Promise<WriteReceipt> {
    const stored = await Promise.all(
      records.map(async ({ id, value }) => ({ collective: this.name, id, value: await valueToStore(this.name, this.#options, id, value) })),
    );
    return this.#host.call('putMany', [stored]);
  }

  async get(id: string): Promise<T | undefined> {
    return this.#record(await this.#host.call('get', [this.name, id]));
  }

  delete(id: string): Promise<WriteReceipt> {
    return this.#host.call('delete', [this.name, id]);
  }

  async query(query: CollectionQuery<T> = {}): Promise<CollectionPage<T>> {
    return this.#page(await this.#host.query(query));
  }

  count(where?: CollectionWhere<T>): Promise<number> {
    return this.#host.call('count', [this.name, where]);
  }

  watch(query: CollectionQuery<T>, onResult: (page: CollectionPage<T>) => void, onError?: WatchErrorListener): () => void {
    return this.#watch({ kind: 'query', collection: this.name, query }, (result) => onResult(this.#page(result as QueryPage)), onError);
  }

  watchCount(where: CollectionWhere<T> | undefined, onResult: (count: number) => void, onError?: WatchErrorListener): () => void {
    const target: WatchTarget = where === undefined ? { kind: 'count', collection: this.name } : { kind: 'count', collection: this.name, where };
    return this.#watch(target, (result) => onResult(result as number), onError);
  }

  watchRecord(id: string, onResult: (value: T | undefined) => void, onError?: WatchErrorListener): () => void {
    return this.#watch({ kind: 'record', collection: this.name, id }, (result) => onResult(this.#record(result as RecordEntry | undefined)), onError);
  }

  #watch(target: WatchTarget, onResult: (result: WatchResult) => void, onError: WatchErrorListener | undefined): () => void {
    return this.#host.watch(target, (message) => {
      if ('error' in message) onError?.(SyncError.from(message.error));
      else onResult(message.result);
    });
  }

  #record(entry: RecordEntry | undefined): T | undefined {
    return entry === undefined ? undefined : (valueFromStore(this.#options, entry.value) as T);
  }

  #page(page: QueryPage): CollectionPage<T> {
    const records = page.records.map((entry) => ({ id: entry.id, value: valueFromStore(this.#options, entry.value) as T }));
    return page.next === undefined ? { records } : { records, next: page.next };
  }
}
