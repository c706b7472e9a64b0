/**
 * Declared collections → the IndexedDB indexes they need (shaped in
 * `src/store/record-indexes.ts`): one per distinct path list, shared by every
 * collection declaring it, and `live` once any collection is declared.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { LIVE_INDEX, valueIndex, type IndexDefinition } from '../store/record-indexes.ts';
import type { CollectionDeclarations, IndexSpec } from './types.ts';

/** A path IndexedDB accepts in a key path: identifiers joined by dots. */
const PATH = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

/** The paths of `spec`, checked. */
export function indexPaths(spec: IndexSpec, collection: string): readonly string[] {
  const paths = typeof spec === 'string' ? [spec] : spec;
  if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === 'string' && PATH.test(p))) {
    throw new SyncError(
      ErrorCode.INVALID_CONFIG,
      `collections.${collection}.indexes: ${JSON.stringify(spec)} is not an index; give a value path ('createdAt', 'author.name') or an array of them`,
      { details: { field: `collections.${collection}.indexes` } },
    );
  }
  return paths;
}

/** The value-path indexes one collection declares. */
export function collectionIndexes(collection: string, declarations: CollectionDeclarations | undefined): IndexDefinition[] {
  return (declarations?.[collection]?.indexes ?? []).map((spec) => valueIndex(indexPaths(spec, collection)));
}

/** Every index the declarations need, by name; empty when none is declared. */
export function indexesOf(declarations: CollectionDeclarations | undefined): Map<string, IndexDefinition> {
  const all = new Map<string, IndexDefinition>();
  for (const collection of Object.keys(declarations ?? {})) {
    all.set(LIVE_INDEX.name, LIVE_INDEX);
    for (const index of collectionIndexes(collection, declarations)) all.set(index.name, index);
  }
  return all;
}
