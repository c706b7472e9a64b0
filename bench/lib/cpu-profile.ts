/**
 * Reads a V8 CPU profile (CDP `Profiler.stop`): self time per function, summed over
 * every node of the same function and place, biggest first, with each place mapped
 * back through the build's source map to its source file and line (Node's own
 * `SourceMap`, no dependency).
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  /** 0-based. */
  readonly lineNumber: number;
  /** 0-based. */
  readonly columnNumber: number;
}

/** The parts of a CDP `Profiler.Profile` used here. */
export interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: CallFrame }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  /** Microseconds between consecutive samples (the first from startTime). */
  readonly timeDeltas?: readonly number[];
}

/** One line of the top list. */
export interface SelfTime {
  readonly functionName: string;
  /** `src/store/idb-remote-apply.ts:37`, or the script URL and line when unmapped. */
  readonly location: string;
  readonly selfMs: number;
  /** Share of the profile's busy time (everything but idle), 0–1. */
  readonly share: number;
}

/** The top list and the totals it is a share of. */
export interface SelfTimeTop {
  readonly entries: readonly SelfTime[];
  /** Sampled time, idle included, ms. */
  readonly totalMs: number;
  /** Sampled time not idle, ms. */
  readonly busyMs: number;
}

/**
 * Maps a generated script position to `file:line` (relative to `root`) through the
 * source maps in `outDir` (the page build); `sourceRoots` are other bases the maps'
 * relative sources may be written against.
 */
export function sourceLocator(outDir: string, root: string, sourceRoots: readonly string[] = []): (url: string, line: number, column: number) => string {
  const maps = new Map<string, SourceMap | undefined>();
  const mapFor = (url: string): { map: SourceMap; file: string } | undefined => {
    const path = url.replace(/^https?:\/\/[^/]+\//, '');
    const file = resolve(outDir, `${path}.map`);
    if (!maps.has(file)) maps.set(file, existsSync(file) ? new SourceMap(JSON.parse(readFileSync(file, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]) : undefined);
    const map = maps.get(file);
    return map === undefined ? undefined : { map, file };
  };
  return (url, line, column) => {
    if (url === '') return '(native)';
    const found = mapFor(url);
    const entry = found?.map.findEntry(line, column) as { originalSource?: string; originalLine?: number } | undefined;
    if (found === undefined || entry?.originalSource === undefined || entry.originalLine === undefined) {
      return `${url.replace(/^https?:\/\/[^/]+\//, '')}:${line + 1}`;
    }
    const source = entry.originalSource.replace(/^file:\/\//, '');
    // Vite writes the worker's sources relative to the page root, the page's relative
    // to the map: take the base under which the file exists.
    const absolute = source.startsWith('/') ? source : ([dirname(found.file), ...sourceRoots].map((base) => resolve(base, source)).find((p) => existsSync(p)) ?? source);
    return `${relative(root, absolute)}:${entry.originalLine + 1}`;
  };
}

/** The `count` functions with the most self time, `(idle)` left out. */
export function topSelfTime(profile: CpuProfile, count: number, locate: (url: string, line: number, column: number) => string): SelfTimeTop {
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // Sample i lasts until sample i + 1 (the next delta); the last one until endTime.
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  const stamps = deltas.map((d) => (at += d));
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    const until = i + 1 < stamps.length ? (stamps[i + 1] as number) : profile.endTime;
    const us = Math.max(0, until - (stamps[i] as number));
    total += us;
    const node = samples[i] as number;
    selfUs.set(node, (selfUs.get(node) ?? 0) + us);
  }
  const byPlace = new Map<string, { functionName: string; frame: CallFrame; us: number }>();
  let idle = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id);
    if (us === undefined) continue;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const f = node.callFrame;
    const key = `${f.functionName}|${f.url}|${f.lineNumber}|${f.columnNumber}`;
    const entry = byPlace.get(key) ?? { functionName: f.functionName === '' ? '(anonymous)' : f.functionName, frame: f, us: 0 };
    entry.us += us;
    byPlace.set(key, entry);
  }
  const busy = total - idle;
  const entries = [...byPlace.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map((e) => ({
      functionName: e.functionName,
      location: e.frame.url === '' ? '(native)' : locate(e.frame.url, e.frame.lineNumber, e.frame.columnNumber),
      selfMs: e.us / 1000,
      share: busy > 0 ? e.us / busy : Number.NaN,
    }));
  return { entries, totalMs: total / 1000, busyMs: busy / 1000 };
}
