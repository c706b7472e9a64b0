/**
 * Notes: small facts the engine keeps in the replica beside the data, so they survive
 * a reload and are shared by the tabs of one database — when it last synced and with
 * which server, the refusals of recently acknowledged writes. In IndexedDB a note is a
 * value of the `meta` store under `note:<key>` (no schema change: `meta` is a plain
 * key-value store); the memory replica keeps them in a map.
 */
import { requestResult } from './idb-transaction.ts';
import { Stores } from './schema.ts';

/** The `meta` key a note is kept under (apart from the replica's own meta keys). */
export function noteKey(key: string): string {
  return `note:${key}`;
}

/** Reads note `key` inside a transaction over `meta`. */
export function readNoteIn(tx: IDBTransaction, key: string): Promise<unknown> {
  return requestResult(tx.objectStore(Stores.meta).get(noteKey(key)));
}

/** Replaces note `key` with `update(current)` inside a read-write transaction over `meta`. */
export async function updateNoteIn(tx: IDBTransaction, key: string, update: (current: unknown) => unknown): Promise<void> {
  const meta = tx.objectStore(Stores.meta);
  const current = await requestResult(meta.get(noteKey(key)));
  meta.put(update(current), noteKey(key));
}
