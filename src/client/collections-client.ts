/**
 * The client of an app that declares collections: the sync client, which sends the
 * declarations (plain data) at connect, plus `collection(name)` handles and the page's
 * side of live queries (a number per watch; its results arrive as `watch` events for
 * this tab only; after `clearLocalData` they are asked again of the new replica). Only
 * `defineCollections` reaches this module, so an app that declares no collections
 * bundles none of it.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { CollectionDeclarations, WatchMessage, WatchTarget } from '../query/types.ts';
import type { RecordEntry } from '../store/types.ts';
import type { WorkerEvent } from '../worker-api/sync-worker-api.ts';
import { CollectionHandle, type CollectionApi } from './collection.ts';
import type { CollectionOf, CollectionsOptions } from './collection-types.ts';
import { checkDeclaration } from './collection-values.ts';
import { pageList, pageQuery } from './page-queries.ts';
import { PageRecords, type PageIndexedDb } from './page-records.ts';
import { WorkerSyncClient } from './sync-client.ts';
import type { CollectionsClient, SyncClientOptions } from './types.ts';

/** What the worker needs of the declarations: plain data (schemas and migrations stay here). */
function declarationsOf(collections: CollectionsOptions): CollectionDeclarations {
  const out: Record<string, CollectionDeclarations[string]> = {};
  for (const [name, declared] of Object.entries(collections)) {
    checkDeclaration(name, declared);
    const { indexes, version } = declared;
    out[name] = { ...(indexes === undefined ? {} : { indexes }), ...(version === undefined ? {} : { version }) };
  }
  return out;
}

/**
 * The error to give when `error` says the worker has no collection calls: a worker
 * without collections (the default one, an app's own without `workerCollections`)
 * ignores the declarations and has no such method, so the call fails on the wire itself
 * with a TypeError (`src/worker-api/wire.ts`). The worker's own failures never look like that: every method of a
 * pulsesync worker rejects with plain error data (`plainErrors` in worker/expose.ts).
 */
function noCollectionsInWorker(error: unknown, what: string): SyncError | undefined {
  if (!(error instanceof SyncError) || (error.cause as { name?: unknown } | undefined)?.name !== 'TypeError') return undefined;
  return new SyncError(
    ErrorCode.INVALID_CONFIG,
    `${what}(): the sync worker has no collections. Use defineCollections from 'pulsesync' (its default worker has them), or give your own worker exposeSyncWorker({ collections: workerCollections }).`,
    { details: { field: 'collections' }, cause: error },
  );
}

/** A sync client with collections; see the file comment. */
export class CollectionsSyncClient<C extends CollectionsOptions> extends WorkerSyncClient implements CollectionsClient<C> {
  readonly #declared: C;
  readonly #handles = new Map<string, CollectionHandle<unknown, unknown>>();
  /** Each live query of this page: what it watches and who hears it. */
  readonly #watchers = new Map<number, { readonly target: WatchTarget; readonly listener: (message: WatchMessage) => void }>();
  #lastWatch = 0;
  /** Whole-collection reads straight from IndexedDB (`page-records.ts`). */
  readonly #records: PageRecords;

  /** `idb`: the IndexedDB the page reads (its own by default; tests give a fake one). */
  constructor(options: SyncClientOptions, declared: C, idb?: PageIndexedDb) {
    super(options, { collections: declarationsOf(declared) });
    this.#declared = declared;
    this.#records = new PageRecords(options.name, ...(idb === undefined ? [] : [idb]));
  }

  /** Read on the page when it can (one clone, no long task), else by the worker. */
  override readonly list = (collective: string): Promise<RecordEntry[]> =>
    this.#onPage(
      (records) => (typeof collective === 'string' && collective !== '' ? pageList(records, collective) : undefined),
      () => this.call('list', [collective]) as Promise<RecordEntry[]>,
    );

  collection<K extends keyof C & string>(name: K): CollectionOf<C[K]> {
    let handle = this.#handles.get(name);
    if (handle === undefined) {
      const options = Object.hasOwn(this.#declared, name) ? this.#declared[name] : undefined;
      if (options === undefined) {
        throw new SyncError(ErrorCode.INVALID_CONFIG, `collection("${name}"): not declared; add it to defineCollections({ ${name}: { … } })`, {
          details: { field: 'collections' },
        });
      }
      const version = options.version ?? 1;
      handle = new CollectionHandle(name, options, {
        call: (what, args) => this.#collectionCall(what, args),
        query: (query) => this.#onPage((records) => pageQuery(records, name, query, version), () => this.#collectionCall('query', [name, query])),
        watch: (target, listener) => this.#watch(target, listener),
      });
      this.#handles.set(name, handle);
    }
    return handle as unknown as CollectionOf<C[K]>;
  }

  override close(): Promise<void> {
    this.#watchers.clear();
    this.#records.close();
    return super.close();
  }

  protected override dispatch(event: WorkerEvent): void {
    if (event.type === 'watch') {
      this.#watchers.get(event.payload.id)?.listener(event.payload);
      return;
    }
    // The replica was made anew (clearLocalData, here or in another tab): the worker's
    // live queries went with the old one, so each is asked again (its first answer at once).
    if (event.type === 'reset') for (const [id, { target }] of this.#watchers) this.#startWatch(id, target);
    super.dispatch(event);
  }

  /**
   * `read` on the page once the worker is connected (it has made the database and its
   * stores by then); `worker()` when the page cannot or the read failed (the worker
   * gives the error, if any, with its code).
   */
  async #onPage<T>(read: (records: PageRecords) => Promise<T | undefined> | undefined, worker: () => Promise<T>): Promise<T> {
    const answer = await this.ready.then(() => read(this.#records)).catch(() => undefined);
    return answer ?? worker();
  }

  async #collectionCall<K extends keyof CollectionApi>(what: K, args: Parameters<CollectionApi[K]>): Promise<Awaited<ReturnType<CollectionApi[K]>>> {
    try {
      // Typed as the worker this client expects; one without collections is caught below.
      return (await this.call(what, args)) as Awaited<ReturnType<CollectionApi[K]>>;
    } catch (error) {
      throw noCollectionsInWorker(error, what) ?? error;
    }
  }

  /** Starts a live query in the worker; its messages go to `listener` until unsubscribed. */
  #watch(target: WatchTarget, listener: (message: WatchMessage) => void): () => void {
    const id = ++this.#lastWatch;
    this.#watchers.set(id, { target, listener });
    this.#startWatch(id, target);
    return () => {
      // After close() the call fails SHUTDOWN, and the worker is gone anyway.
      if (this.#watchers.delete(id)) this.#collectionCall('unwatch', [id]).catch(() => undefined);
    };
  }

  /** Asks the worker for live query `id`; a failure goes to its listener, if it still listens. */
  #startWatch(id: number, target: WatchTarget): void {
    this.#collectionCall('watch', [id, target]).catch((error: unknown) => {
      this.#watchers.get(id)?.listener({ id, error: SyncError.from(error).toJSON() });
    });
  }
}
