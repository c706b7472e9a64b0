/**
 * The demo's Offline switch, shared by the page and its sync worker. The switch is per
 * device (per local database): every tab of the device and its worker hear it on one
 * BroadcastChannel. In the worker it does what a real outage does to pulsesync: the
 * online signal says offline (status `disconnected`, the loops pause) and the
 * transport refuses every request and drops the live channel, so nothing reaches the
 * server until the switch is back on.
 */

/** What the switch says on its channel. */
export interface OfflineMessage {
  readonly offline: boolean;
}

/** The channel of one device's switch. */
export function offlineChannelName(device: string): string {
  return `pulsesync-demo-offline:${device}`;
}

/**
 * The worker's name carries what it must know before any message can arrive: its
 * device and whether the switch is already off-line (a client made while offline).
 */
export interface DemoWorkerName {
  readonly device: string;
  readonly offline: boolean;
}

export function encodeWorkerName(name: DemoWorkerName): string {
  return JSON.stringify(name);
}

export function decodeWorkerName(name: string): DemoWorkerName {
  try {
    const parsed = JSON.parse(name) as Partial<DemoWorkerName>;
    return { device: typeof parsed.device === 'string' ? parsed.device : 'default', offline: parsed.offline === true };
  } catch {
    return { device: 'default', offline: false };
  }
}
