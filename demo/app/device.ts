/**
 * Which device this page is: `?device=NAME` picks another local database, so one
 * browser can play two devices. Per-device settings live in localStorage.
 */
import type { ConflictPolicy, SyncDirection } from 'pulsesync';

/** The device used without `?device=`. */
export const DEFAULT_DEVICE = 'laptop';
/** The device the "second device" link opens. */
export const SECOND_DEVICE = 'phone';

const NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** What the user chose for this device. */
export interface DeviceSettings {
  readonly policy: ConflictPolicy;
  readonly direction: SyncDirection;
  /** Run the background loop (start) or sync only on demand. */
  readonly background: boolean;
}

const DEFAULT_SETTINGS: DeviceSettings = { policy: 'last-write-wins', direction: 'bidirectional', background: true };

/** The device named in the URL, or the default one; `invalid` when the name was refused. */
export function deviceFromUrl(search: string): { name: string; invalid?: string } {
  const asked = new URLSearchParams(search).get('device');
  if (asked === null || asked === '') return { name: DEFAULT_DEVICE };
  if (!NAME_PATTERN.test(asked)) return { name: DEFAULT_DEVICE, invalid: asked };
  return { name: asked };
}

/** The IndexedDB database a device keeps its replica in. */
export function databaseName(device: string): string {
  return `pulsesync-demo-${device}`;
}

/** The URL of another device: the second one from the default, else the default. */
export function otherDeviceUrl(device: string): string {
  return device === DEFAULT_DEVICE ? `?device=${SECOND_DEVICE}` : '?';
}

function settingsKey(device: string): string {
  return `pulsesync-demo:${device}:settings`;
}

/** The saved settings of a device (defaults for anything missing or unreadable). */
export function loadSettings(device: string): DeviceSettings {
  try {
    const saved = JSON.parse(localStorage.getItem(settingsKey(device)) ?? '{}') as Partial<Record<keyof DeviceSettings, unknown>>;
    return {
      policy: saved.policy === 'server-wins' || saved.policy === 'field-last-write-wins' ? saved.policy : DEFAULT_SETTINGS.policy,
      direction: saved.direction === 'push-only' || saved.direction === 'pull-only' ? saved.direction : DEFAULT_SETTINGS.direction,
      background: typeof saved.background === 'boolean' ? saved.background : DEFAULT_SETTINGS.background,
    };
  } catch {
    return DEFAULT_SETTINGS;
  }
}

/** Saves a device's settings. */
export function saveSettings(device: string, settings: DeviceSettings): void {
  try {
    localStorage.setItem(settingsKey(device), JSON.stringify(settings));
  } catch {
    // Private mode or full storage: settings simply do not survive a reload.
  }
}
