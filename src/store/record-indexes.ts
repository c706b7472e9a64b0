/**
 * The indexes of the `records` store. Records of every collection share that store, so
 * each index is scoped by collective: its key is `[collective, value.p1, …, value.pn, id]`.
 * The trailing id makes every key unique, so a page can resume exactly after its last
 * record with a plain key range. Which indexes exist follows the app's declared
 * collections (`src/query/indexes.ts`); this module only names and shapes them.
 *
 * Records whose value lacks a path, or holds there something that is not a key
 * (boolean, null, object), are not in that index (IndexedDB skips them); tombstones,
 * which have no value, never are. The `live` index (`[collective, live, id]`, every
 * record that is not a tombstone) serves counts and scans of a whole collection.
 */

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
