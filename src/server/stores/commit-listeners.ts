/**
 * The `onCommit` listener set every server store keeps: a listener that throws is
 * logged, never fails the commit that woke it nor the other listeners.
 */
import type { StoreCommit } from '../types.ts';

/** A set of commit listeners. */
export interface CommitListeners {
  /** Adds a listener; returns its unsubscribe. */
  add(listener: (commit: StoreCommit) => void): () => void;
  /** Calls every listener once with `commit`. */
  emit(commit: StoreCommit): void;
  readonly size: number;
  clear(): void;
}

/** An empty listener set. */
export function commitListeners(): CommitListeners {
  const listeners = new Set<(commit: StoreCommit) => void>();
  return {
    add(listener) {
      // Wrapped so the same function subscribed twice gets two independent subscriptions.
      const entry = (commit: StoreCommit) => listener(commit);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    emit(commit) {
      for (const listener of [...listeners]) {
        try {
          listener(commit);
        } catch (error) {
          // A listener's bug must not fail a commit that already happened.
          console.error('pulsesync: a commit listener threw', error);
        }
      }
    },
    get size() {
      return listeners.size;
    },
    clear() {
      listeners.clear();
    },
  };
}
