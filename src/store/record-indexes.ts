/**
 * The indexes of the `records` store. Records of every collection share that store, so
 * each index is scoped by collective: its key is `[collective, value.p1, …, value.pn, id]`.
 * The trailing id makes every key unique, so a page can resume exactly after its last
 * record with a plain key range. Which indexes exist follows the app's declared
 * collections (`src/query/indexes.ts`); this module names and shapes them, and makes
 * them in a version-change transaction (`index-upgrade.ts`).
 *
 * Records whose value lacks a path, or holds there something that is not a key
 * (boolean, null, object), are not in that index (IndexedDB skips them); tombstones,
 * which have no value, never are. The `live` index (`[collective, live, id]`, every
 * record that is not a tombstone) serves counts and scans of a whole collection.
 *
 * Only apps that declare collections load this module: IndexedDB keeps indexes up to
 * date by itself inside each write transaction, so the sync path needs nothing of it
 * but the `live` mark every put row carries (`toRecordRow` in schema.ts).
 */
import { Stores, type RecordRow } from './schema.ts';

/** One IndexedDB index of the `records` store. */
export interface IndexDefinition {
  readonly name: string;
  /** The value paths it orders by (none for `live`). */
  readonly paths: readonly string[];
  readonly keyPath: readonly string[];
}

/** Names of the value-path indexes start with it; indexes named otherwise are left alone. */
const PREFIX = 'ix:';

/** Every record that is not a tombstone, by collective and id. */
export const LIVE_INDEX: IndexDefinition = { name: 'live', paths: [], keyPath: ['collective', 'live', 'id'] };

/** Is `name` an index pulsesync manages (so an upgrade may drop it)? */
export function isManagedIndex(name: string): boolean {
  return name === LIVE_INDEX.name || name.startsWith(PREFIX);
}

/** The index of value `paths` (checked by the caller). */
export function valueIndex(paths: readonly string[]): IndexDefinition {
  return { name: PREFIX + paths.join('+'), paths, keyPath: ['collective', ...paths.map((p) => `value.${p}`), 'id'] };
}

/** Makes the managed indexes of `records` exactly `indexes`; runs inside the version-change transaction `tx`. */
export function applyIndexes(tx: IDBTransaction, indexes: ReadonlyMap<string, IndexDefinition>): void {
  const records = tx.objectStore(Stores.records);
  for (const name of Array.from(records.indexNames)) {
    const wanted = indexes.get(name);
    if (isManagedIndex(name) && (wanted === undefined || !sameKeyPath(records.index(name).keyPath, wanted.keyPath))) records.deleteIndex(name);
  }
  for (const index of indexes.values()) {
    if (records.indexNames.contains(index.name)) continue;
    records.createIndex(index.name, [...index.keyPath]);
    if (index === LIVE_INDEX) markLiveRecords(records);
  }
}

/** Does the `records` store of `db` hold exactly the managed indexes of `indexes`? */
export function hasIndexes(db: IDBDatabase, indexes: ReadonlyMap<string, IndexDefinition>): boolean {
  const records = db.transaction(Stores.records, 'readonly').objectStore(Stores.records);
  const managed = Array.from(records.indexNames).filter(isManagedIndex);
  return (
    managed.length === indexes.size &&
    managed.every((name) => {
      const wanted = indexes.get(name);
      return wanted !== undefined && sameKeyPath(records.index(name).keyPath, wanted.keyPath);
    })
  );
}

function sameKeyPath(actual: string | string[], wanted: readonly string[]): boolean {
  return Array.isArray(actual) && actual.length === wanted.length && actual.every((part, i) => part === wanted[i]);
}

/**
 * Rows written before the `live` mark existed (an older pulsesync) get it, once, when
 * the `live` index is first made; later puts always carry it.
 */
function markLiveRecords(records: IDBObjectStore): void {
  const request = records.openCursor();
  request.onsuccess = () => {
    const cursor = request.result;
    if (cursor === null) return;
    const row = cursor.value as RecordRow;
    if (!row.deleted && row.live !== 1) cursor.update({ ...row, live: 1 });
    cursor.continue();
  };
}
