/**
 * The subscribers of one store object, told about each committed change. Shared by the
 * IndexedDB and memory replicas.
 */
import type { ChangeEvent } from './types.ts';

/** A set of change listeners. */
export class ChangeListeners {
  readonly #listeners = new Set<(event: ChangeEvent) => void>();

  /** Adds `listener`; returns its unsubscribe. */
  subscribe(listener: (event: ChangeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Tells every listener, each in turn, even if one throws. */
  emit(event: ChangeEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        // A listener's bug must not turn a committed write into a failed call.
        console.error('pulsesync: a store change listener threw', error);
      }
    }
  }
}
