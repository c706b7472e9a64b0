/**
 * The demo's own sync worker: pulsesync's worker (`exposeSyncWorker`) given an online
 * signal and a transport that obey the page's Offline switch (see offline-switch.ts).
 * This is the SDK's documented way to customise what cannot be sent to a worker.
 */
import { ErrorCode, SyncError, httpTransport, type LiveHandlers, type SyncTransport } from 'pulsesync/engine';
import { exposeSyncWorker, type OnlineSignal } from 'pulsesync/worker';
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
  const guard = <T>(send: () => Promise<T>): Promise<T> => (online.switchedOff() ? Promise.reject(offlineError()) : send());
  const transport: SyncTransport = {
    handshake: (request) => guard(() => inner.handshake(request)),
    push: (request) => guard(() => inner.push(request)),
    pull: (request) => guard(() => inner.pull(request)),
    health: () => guard(() => inner.health()),
  };
  const openLive = inner.live?.bind(inner);
  if (openLive !== undefined) {
    transport.live = (handlers: LiveHandlers) => {
      let close: (() => void) | undefined;
      const follow = (): void => {
        if (online.switchedOff()) {
          close?.();
          close = undefined;
          handlers.onState?.(false);
        } else {
          close ??= openLive(handlers);
        }
      };
      follow();
      const unsubscribe = online.subscribe(follow);
      return () => {
        unsubscribe();
        close?.();
        close = undefined;
      };
    };
  }
  return transport;
}

exposeSyncWorker({
  online,
  transport: (settings) => switchedTransport(httpTransport(settings)),
});
