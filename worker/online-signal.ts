/**
 * Whether the device is online, as the worker sees it: `navigator.onLine` and the
 * `online`/`offline` events, which workers receive too.
 */

/** A source of online/offline changes (injectable for tests). */
export interface OnlineSignal {
  /** Online now? */
  isOnline(): boolean;
  /** Calls `listener` on each change; returns an unsubscribe. */
  subscribe(listener: (online: boolean) => void): () => void;
}

/** The worker's own `navigator.onLine` and events; always online where they are missing. */
export function globalOnlineSignal(): OnlineSignal {
  const scope = globalThis as unknown as Partial<Pick<EventTarget, 'addEventListener' | 'removeEventListener'>>;
  const isOnline = (): boolean => (globalThis.navigator as { onLine?: boolean } | undefined)?.onLine !== false;
  return {
    isOnline,
    subscribe(listener) {
      if (typeof scope.addEventListener !== 'function') return () => undefined;
      const online = (): void => listener(true);
      const offline = (): void => listener(false);
      scope.addEventListener('online', online);
      scope.addEventListener('offline', offline);
      return () => {
        scope.removeEventListener?.('online', online);
        scope.removeEventListener?.('offline', offline);
      };
    },
  };
}
