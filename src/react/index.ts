/**
 * `pulsesync/react`: React hooks over a client's live queries, built on
 * `useSyncExternalStore` (React 18 or later, an optional peer dependency). Each hook
 * starts its watch when the component mounts and ends it when it unmounts, so the
 * worker keeps nothing for components that are gone.
 *
 * @example
 * const todos = client.collection('todos');
 * function TodoList() {
 *   const { data } = useQuery(todos, { orderBy: 'createdAt' });
 *   const open = useCount(todos, { done: false });
 *   return createElement('ul', null, data?.records.map((t) => createElement('li', { key: t.id }, t.value.title)));
 * }
 */
import { useMemo, useSyncExternalStore } from 'react';
import type { Collection, CollectionPage, CollectionQuery, CollectionWhere } from '../client/collection-types.ts';
import type { SyncError } from '../protocol/errors.ts';
import type { SyncStatus } from '../protocol/types.ts';

/** What a live hook gives: the last result, or why the last run failed. */
export interface LiveState<T> {
  /** The last result; undefined until the first arrives. */
  readonly data: T | undefined;
  /** The last run's failure (the watch goes on and may answer again). */
  readonly error: SyncError | undefined;
  /** No result yet. */
  readonly loading: boolean;
}

/** Starts a watch: results and failures go to the callbacks until the returned stop. */
type Start<T> = (onResult: (value: T) => void, onError: (error: SyncError) => void) => () => void;

/** A live value for useSyncExternalStore: subscribing starts the watch, its last answer is the snapshot. */
function liveStore<T>(start: Start<T>): { subscribe: (onChange: () => void) => () => void; snapshot: () => LiveState<T> } {
  let state: LiveState<T> = { data: undefined, error: undefined, loading: true };
  return {
    subscribe: (onChange) =>
      start(
        (data) => {
          state = { data, error: undefined, loading: false };
          onChange();
        },
        (error) => {
          state = { ...state, error, loading: false };
          onChange();
        },
      ),
    snapshot: () => state,
  };
}

/** A live value of `start`, restarted when `key` (or `source`) changes. */
function useLive<T>(source: object, key: string, start: Start<T>): LiveState<T> {
  // `start` is made anew each render; the watch it starts depends on `source` and `key` only.
  const store = useMemo(() => liveStore(start), [source, key]);
  return useSyncExternalStore(store.subscribe, store.snapshot, store.snapshot);
}

/** The part of a collection the hooks use (any collection handle fits). */
export type Watchable<T> = Pick<Collection<T, never>, 'watch' | 'watchCount' | 'watchRecord'>;

/** A live query: the page now, and again after every change that may alter it. */
export function useQuery<T>(collection: Watchable<T>, query: CollectionQuery<T> = {}): LiveState<CollectionPage<T>> {
  return useLive(collection, JSON.stringify(query), (onResult, onError) => collection.watch(query, onResult, onError));
}

/** A live count of the records passing `where`. */
export function useCount<T>(collection: Watchable<T>, where?: CollectionWhere<T>): LiveState<number> {
  return useLive(collection, JSON.stringify(where ?? null), (onResult, onError) => collection.watchCount(where, onResult, onError));
}

/** A live record: its value (undefined when absent). */
export function useRecord<T>(collection: Watchable<T>, id: string): LiveState<T | undefined> {
  return useLive(collection, id, (onResult, onError) => collection.watchRecord(id, onResult, onError));
}

/** The part of a client `useSyncStatus` uses. */
export interface StatusSource {
  status(): SyncStatus;
  on(event: 'status', listener: (status: SyncStatus) => void): () => void;
}

/** The client's sync status, re-rendering on each change. */
export function useSyncStatus(client: StatusSource): SyncStatus {
  const subscribe = useMemo(() => (onChange: () => void) => client.on('status', onChange), [client]);
  return useSyncExternalStore(subscribe, () => client.status(), () => client.status());
}
