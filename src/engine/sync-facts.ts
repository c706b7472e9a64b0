/**
 * What a replica remembers of its sync across reloads: when it last synced, and with
 * which server (the peer its cursors are kept under), in the replica's `sync` note. A
 * page opened offline can then say "last synced at 10:32" and show its cursors before
 * it reaches the server. Saved after successful runs, at most once a second (a burst of
 * pushes costs one small write, not one per push).
 */
import type { SyncCursors } from '../protocol/types.ts';
import type { LocalStore } from '../store/types.ts';

/** The note the facts are kept in. */
export const SYNC_FACTS_NOTE = 'sync';

/** How often the facts are saved at most. */
const SAVE_EVERY_MS = 1000;

/** What a replica remembers. */
export interface SyncFacts {
  readonly lastSyncedAt: number | null;
  /** The cursors with the last server synced with; absent before the first sync. */
  readonly cursors?: SyncCursors;
}

interface StoredFacts {
  readonly lastSyncedAt: number;
  readonly peer: string;
}

function isStoredFacts(value: unknown): value is StoredFacts {
  if (typeof value !== 'object' || value === null) return false;
  const { lastSyncedAt, peer } = value as Partial<Record<keyof StoredFacts, unknown>>;
  return typeof lastSyncedAt === 'number' && typeof peer === 'string' && peer.length > 0;
}

/** The cursors of `store` with `peer`. */
export async function readCursors(store: LocalStore, peer: string): Promise<SyncCursors> {
  const [push, pull] = await Promise.all([store.pushCursor(peer), store.pullCursor(peer)]);
  return { push, pull };
}

/** Reads what `store` remembers; nothing (lastSyncedAt null) if it never synced or cannot be read. */
export async function readSyncFacts(store: LocalStore): Promise<SyncFacts> {
  try {
    const stored = await store.readNote(SYNC_FACTS_NOTE);
    if (!isStoredFacts(stored)) return { lastSyncedAt: null };
    return { lastSyncedAt: stored.lastSyncedAt, cursors: await readCursors(store, stored.peer) };
  } catch {
    // A closed replica: there is nothing to show, and the status says why by other means.
    return { lastSyncedAt: null };
  }
}

/** Saves a manager's facts after its successful runs (see the file comment). */
export class SyncFactsKeeper {
  readonly #store: LocalStore;
  #saved: StoredFacts | undefined;
  /** The latest facts, when a save was skipped for them (saved by {@link flush}). */
  #unsaved: StoredFacts | undefined;

  constructor(store: LocalStore) {
    this.#store = store;
  }

  /** A run with `peer` went through at `at`. Never rejects: losing a save loses only a fact. */
  synced(peer: string, at: number): void {
    this.#unsaved = { lastSyncedAt: at, peer };
    const saved = this.#saved;
    if (saved === undefined || saved.peer !== peer || at - saved.lastSyncedAt >= SAVE_EVERY_MS) void this.flush();
  }

  /** Saves the latest facts if a save was put off for them (the manager stops). */
  async flush(): Promise<void> {
    const facts = this.#unsaved;
    if (facts === undefined) return;
    this.#saved = facts;
    this.#unsaved = undefined;
    // Never backwards: another tab (a later leader) may have saved a later time.
    await this.#store
      .updateNote(SYNC_FACTS_NOTE, (current) => (isStoredFacts(current) && current.lastSyncedAt > facts.lastSyncedAt ? current : facts))
      .catch(() => undefined);
  }
}
