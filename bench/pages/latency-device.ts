/**
 * A device for the steady-state latency: a started client that notes when each remote
 * change arrives on this page, and writes one record on demand. Two pages in two
 * browser contexts are two devices; their clocks are comparable (timeOrigin + now).
 */
import { benchValue } from '../../tools/records.ts';
import { longTaskWatch, longTaskWatchEnd } from './long-tasks.ts';
import { clientOf, sdkOpen, sdkClose, type ClientOptions } from './sdk-calls.ts';

/** When each change id arrived on this page, and who waits for one. */
const arrivals = new Map<string, number>();
const waiting = new Map<string, (at: number) => void>();

/** Wall-clock milliseconds comparable between pages of one browser. */
const now = (): number => performance.timeOrigin + performance.now();

/** Opens and starts a live-connected device that records when each change arrives. */
export async function deviceStart(options: ClientOptions): Promise<void> {
  await sdkOpen(options);
  const client = clientOf(options.name);
  longTaskWatch(`device-${options.name}`, 'start');
  client.on('change', (event) => {
    if (event.source !== 'remote') return;
    const at = now();
    for (const change of event.changes) {
      arrivals.set(change.id, at);
      waiting.get(change.id)?.(at);
      waiting.delete(change.id);
    }
  });
  await client.start();
}

/** Puts one record on a device; resolves with when it started. */
export async function deviceWrite(options: { name: string; collective: string; id: string }): Promise<number> {
  const sentAt = now();
  await clientOf(options.name).put(options.collective, options.id, benchValue(arrivals.size, 150));
  return sentAt;
}

/** When the change for `id` arrived here; NaN after `timeoutMs`. */
export function deviceArrival(options: { id: string; timeoutMs: number }): Promise<number> {
  const seen = arrivals.get(options.id);
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise<number>((resolve) => {
    const timer = setTimeout(() => {
      waiting.delete(options.id);
      resolve(Number.NaN);
    }, options.timeoutMs);
    waiting.set(options.id, (at) => {
      clearTimeout(timer);
      resolve(at);
    });
  });
}

/** The longest main-thread task on this page since the device started (0 when none reached 50 ms), and restarts the watch. */
export async function deviceLongestTask(options: { name: string }): Promise<number> {
  const tasks = await longTaskWatchEnd(`device-${options.name}`);
  longTaskWatch(`device-${options.name}`, 'start');
  return tasks.maxMs;
}

/** Stops a device and deletes its replica. */
export async function deviceStop(options: { name: string }): Promise<void> {
  await clientOf(options.name).stop();
  longTaskWatch(`device-${options.name}`, 'stop');
  await sdkClose(options);
}
