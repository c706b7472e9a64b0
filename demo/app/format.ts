/** How the page writes numbers and times. */

const numbers = new Intl.NumberFormat('en-US');
const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** 20000 → "20,000". */
export function count(n: number): string {
  return numbers.format(n);
}

/** Epoch ms → "14:03:07". */
export function timeOfDay(ms: number): string {
  return clock.format(ms);
}

/** How long ago, coarse: "just now", "12 s ago", "3 min ago". */
export function ago(ms: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 2) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  return `${Math.round(minutes / 60)} h ago`;
}

/** A duration in ms → "850 ms" or "3.2 s". */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
