/**
 * The demo's own sync worker: pulsesync's worker (`exposeSyncWorker`) given an online
 * signal and a transport that obey the page's Offline switch (see offline-switch.ts),
 * the worker side of the page's collections, and field-level records (the "Field by
 * field" policy: patches, and `explain` for the Conflicts card).
 * This is the SDK's documented way to customise what cannot be sent to a worker.
 */
import { ErrorCode, SyncError, httpTransport, wrapTransport, type SyncTransport } from 'pulsesync/engine';
import { exposeSyncWorker, workerCollections, workerFields, type OnlineSignal } from 'pulsesync/worker';
import { decodeWorkerName, offlineChannelName, type OfflineMessage } from './offline-switch.ts';

const { device, offline: startOffline } = decodeWorkerName(self.name);

/** The switch plus the browser's own online state, as one signal. */
function switchedOnline(): OnlineSignal & { readonly switchedOff: () => boolean } {
  let switchedOff = startOffline;
  const listeners = new Set<(online: boolean) => void>();
  const isOnline = (): boolean => !switchedOff && navigator.onLine;
  const notify = (): void => {
    for (const listener of listeners) listener(isOnline());
  };
  const channel = new BroadcastChannel(offlineChannelName(device));
  channel.onmessage = (event: MessageEvent<OfflineMessage>) => {
    if (switchedOff === event.data.offline) return;
    switchedOff = event.data.offline;
    notify();
  };
  self.addEventListener('online', notify);
  self.addEventListener('offline', notify);
  return {
    isOnline,
    switchedOff: () => switchedOff,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const online = switchedOnline();

function offlineError(): SyncError {
  return new SyncError(ErrorCode.TRANSPORT, 'this device is offline (the demo\'s Offline switch is on): nothing was sent');
}

/** `inner`, except that while the switch is off every request fails and live is closed. */
function switchedTransport(inner: SyncTransport): SyncTransport {
  return wrapTransport(inner, {
    call: (call) => (online.switchedOff() ? Promise.reject(offlineError()) : call.send()),
    live(handlers, open) {
      let close: (() => void) | undefined;
      const follow = (): void => {
        if (online.switchedOff()) {
          close?.();
          close = undefined;
          handlers.onState?.(false);
        } else {
          close ??= open(handlers);
        }
      };
      follow();
      const unsubscribe = online.subscribe(follow);
      return () => {
        unsubscribe();
        close?.();
        close = undefined;
      };
    },
  });
}

exposeSyncWorker({
  online,
  transport: (settings) => switchedTransport(httpTransport(settings)),
  // The page declares collections (collections.ts): this worker serves them.
  collections: workerCollections,
  fields: workerFields,
});
