/**
 * Waits for the bench's own processes to go quiet before a measured run. After a run
 * writes or deletes 100k rows, Chromium's IndexedDB backend keeps compacting for
 * seconds; whatever runs next would pay for it (seen: a plain-IndexedDB limit run right
 * after the SDK's sync came out at half its speed). So before each run we sample the
 * CPU time of every process descended from this one (Chromium and its helpers, the
 * sync server) from /proc and start once they use under a tenth of a core over half a
 * second — or after `maxMs`, whichever comes first. Other tenants of the machine are
 * not ours to wait for; alternating the order covers them.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (clock ticks) of the descendants of `root` (not `root` itself); 0 where /proc is unreadable. */
export function treeTicks(root: number): number {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return 0;
  }
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // Fields after the command (which may hold spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(e), Number(fields[1]));
      ticks.set(Number(e), Number(fields[11]) + Number(fields[12]));
    } catch {
      // The process ended while we read.
    }
  }
  let sum = 0;
  for (const [pid, t] of ticks) {
    if (pid === root) continue; // this process is the one waiting
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parent.get(p), hops++) {
      if (p === root) {
        sum += t;
        break;
      }
    }
  }
  return sum;
}

/** Clock ticks per second of /proc times (USER_HZ; 100 on Linux). */
export const TICKS_PER_SECOND = 100;
const WINDOW_MS = 500;
const QUIET_SHARE = 0.1;

/** Resolves once this process's children are quiet (see the file comment), or after `maxMs`; returns the ms waited. */
export async function settle(maxMs = 10_000): Promise<number> {
  const start = Date.now();
  let before = treeTicks(process.pid);
  while (Date.now() - start < maxMs) {
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const now = treeTicks(process.pid);
    const coreShare = (now - before) / TICKS_PER_SECOND / (WINDOW_MS / 1000);
    before = now;
    if (coreShare < QUIET_SHARE) break;
  }
  return Date.now() - start;
}
