/**
 * A deliberately naive model of field-level last-write-wins, written apart from
 * `src/protocol/field-merge.ts` to check it: it keeps every write it was ever given
 * and works the record out from all of them each time it is asked, in the plainest way
 * that says the rules:
 *
 * - writes are ordered by clock text, then by instance id;
 * - replaying every write in that order (a parent before its child when they tie), each
 *   one replacing what lies at its path, gives the value;
 * - a write shows unless a write at its path or above it comes later; the record exists
 *   when a showing write sets a value.
 *
 * No compaction, no reading back, no merge: if the real merge keeps too little or too
 * much, the two disagree.
 */
import type { JsonValue } from '../../src/protocol/types.ts';
import type { RecordChange } from './field-changes.ts';

/** One write as the model keeps it. */
interface ModelWrite {
  readonly path: readonly string[];
  readonly hlc: string;
  readonly source: string;
  /** Undefined: the write deletes. */
  readonly value: JsonValue | undefined;
}

/** What the model says a record is: its value (undefined: no record) and who wrote each showing path. */
export interface ModelRecord {
  readonly value: JsonValue | undefined;
  /** `path|hlc|source|set or deleted`, sorted: one per showing write. */
  readonly stamps: readonly string[];
}

function later(a: ModelWrite, b: ModelWrite): boolean {
  if (a.hlc !== b.hlc) return a.hlc > b.hlc;
  return a.source > b.source;
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((key, i) => path[i] === key);
}

/** Writes `value` (undefined: deletes) at `path` of `root`, making objects on the way. */
function put(root: JsonValue | undefined, path: readonly string[], value: JsonValue | undefined): JsonValue | undefined {
  if (path.length === 0) return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as JsonValue);
  const isObject = (v: JsonValue | undefined): v is { [key: string]: JsonValue } => typeof v === 'object' && v !== null && !Array.isArray(v);
  const top = isObject(root) ? root : {};
  let at = top;
  for (const key of path.slice(0, -1)) {
    const next = Object.hasOwn(at, key) ? at[key] : undefined;
    if (!isObject(next)) Object.defineProperty(at, key, { value: {}, enumerable: true, writable: true, configurable: true });
    at = at[key] as { [key: string]: JsonValue };
  }
  const last = path[path.length - 1] as string;
  if (value === undefined) delete at[last];
  else Object.defineProperty(at, last, { value: JSON.parse(JSON.stringify(value)) as JsonValue, enumerable: true, writable: true, configurable: true });
  return top;
}

/** Every write of every change, as the model keeps them. */
function writesOf(changes: Iterable<RecordChange>): ModelWrite[] {
  const writes: ModelWrite[] = [];
  for (const change of changes) {
    const { hlc, source } = change;
    if (change.op === 'put') writes.push({ path: [], hlc, source, value: change.value });
    else if (change.op === 'delete') writes.push({ path: [], hlc, source, value: undefined });
    else for (const field of change.fields) writes.push({ path: field.path, hlc, source, value: field.value });
  }
  return writes;
}

/** The writes no later write at their path or above hides. */
function showingOf(writes: readonly ModelWrite[]): ModelWrite[] {
  return writes.filter((write) => !writes.some((other) => startsWith(write.path, other.path) && later(other, write)));
}

/** The latest write that shows once every change of `changes` has been seen (the record's clock as a whole), if any. */
export function modelLatest(changes: Iterable<RecordChange>): { readonly hlc: string; readonly source: string } | undefined {
  const showing = showingOf(writesOf(changes));
  const latest = showing.reduce<ModelWrite | undefined>((a, b) => (a === undefined || later(b, a) ? b : a), undefined);
  return latest === undefined ? undefined : { hlc: latest.hlc, source: latest.source };
}

/** What a record is once every change of `changes` has been seen. */
export function modelRecord(changes: Iterable<RecordChange>): ModelRecord {
  const writes = writesOf(changes);
  const replay = [...writes].sort((a, b) => (later(a, b) ? 1 : later(b, a) ? -1 : a.path.length - b.path.length));
  let value: JsonValue | undefined;
  for (const write of replay) value = put(value, write.path, write.value);
  const showing = showingOf(writes);
  const exists = showing.some((write) => write.value !== undefined);
  const stamps = [...new Set(showing.map((w) => `${JSON.stringify(w.path)}|${w.hlc}|${w.source}|${w.value === undefined ? 'deleted' : 'set'}`))].sort();
  return { value: exists ? value : undefined, stamps };
}
