/**
 * The field-level merge (`field-last-write-wins`), written once for the server and the
 * replicas. A pure function of what each side holds, so every replica that has seen the
 * same writes holds the same record, whatever the order they came in: merging is
 * commutative, associative and idempotent (`test/protocol/field-merge.test.ts` proves it
 * with fast-check, and checks it against a naive model).
 *
 * The rules. Every change is one or more writes at paths (see `field-path.ts`), all
 * stamped with the change's {@link WriteStamp}:
 * - a `put` writes `[]`, the whole record, so it replaces every field written before
 *   it and whole-record writers interoperate; a `delete` deletes `[]`;
 * - a `patch` writes each of its paths (a value, or a deleted key);
 * - a write hides every write at its path or below it that is ordered before it
 *   (`compareWrites`: the later clock, ties by instance id); a write ordered after
 *   one above it lands on top of that one's value, making the values above it objects
 *   where they were not;
 * - so a nested set beats an older set of its parent only below its own path (the
 *   parent's other keys stay), and a newer set of the parent hides it wholly.
 *
 * A delete against a patch: the later one wins, as for any two writes. A delete later
 * than a patch removes the record, patched fields and all. A patch later than a delete
 * brings the record back, holding only the fields written after the delete: a
 * concurrent patch with the later clock resurrects the record, but never the fields the
 * delete removed. A record exists while any write that is not hidden sets a value (a
 * patch that only deletes fields brings nothing back).
 *
 * What is kept: the merged value and a {@link FieldStamp} per write that is not hidden.
 * The value a write holds is read back from the merged value ({@link writesOfRecord}).
 * Where a nested write lies below it, what reads back there is the nested write's value,
 * not what the outer write once held (a value that was not an object, a key a nested
 * delete removed). The difference never shows: the nested write applies after it, and
 * nothing removes the nested write without hiding the outer write there too.
 *
 * Two writes with one stamp at one path are one write (seen twice); the copy that
 * carries a server version is kept. Two writes with one stamp at a parent and a child
 * come from one change (a put and a patch of one record in one local write): the
 * parent applies first.
 */
import { canonicalJson, comparePaths, copyJson, pathKey, readPath, writePath } from './field-path.ts';
import type { FieldStamp, JsonValue, PatchState, RecordState } from './types.ts';
import { compareWrites, type WriteStamp } from './write-order.ts';

/** A field-level record: its merged state and a stamp per write it keeps, in path order. */
export type FieldRecord = RecordState & { readonly fields: readonly FieldStamp[] };

/** One write with what it holds: its stamp, and its value unless it deleted. */
export type FieldWrite = FieldStamp & { readonly value?: JsonValue };

/** A record none has written. */
export const EMPTY_FIELD_RECORD: FieldRecord = { op: 'delete', fields: [] };

/**
 * The writer a field-level record names when writes of several replicas make it (the
 * nil UUID, which no replica takes: ids are v7). Its stamps name each writer. The
 * server's feed leaves out a record for the one replica that wrote all of it (echo
 * prevention); a record of several writers it serves to each of them, since each lacks
 * the others' writes until it pulls them.
 */
export const SEVERAL_WRITERS = '00000000-0000-0000-0000-000000000000';

/** The order writes apply in: by stamp, and within one stamp a parent before its children. */
function compareApply(a: FieldWrite, b: FieldWrite): number {
  return compareWrites(a, b) || a.path.length - b.path.length || comparePaths(a.path, b.path);
}

/** Of two copies of one write, the one to keep: the server's (with a version), else either, by a fixed rule. */
function pickCopy(a: FieldWrite, b: FieldWrite): FieldWrite {
  if ((a.version === undefined) !== (b.version === undefined)) return a.version === undefined ? b : a;
  if (a.version !== undefined && b.version !== undefined && a.version !== b.version) return a.version < b.version ? a : b;
  // A replica's copy and a read-back copy may differ below a nested write (see the file
  // comment); which one is kept then changes nothing that shows.
  return canonicalJson(a as unknown as JsonValue) <= canonicalJson(b as unknown as JsonValue) ? a : b;
}

/**
 * The writes of `writes` that no other hides, in path order: per path the latest, and
 * of those only the ones no write above them outranks.
 */
export function survivingWrites(writes: Iterable<FieldWrite>): FieldWrite[] {
  const byPath = new Map<string, FieldWrite>();
  for (const write of writes) {
    const key = pathKey(write.path);
    const held = byPath.get(key);
    if (held === undefined) {
      byPath.set(key, write);
      continue;
    }
    const order = compareWrites(write, held);
    if (order > 0) byPath.set(key, write);
    else if (order === 0) byPath.set(key, pickCopy(write, held));
  }
  const kept: FieldWrite[] = [];
  for (const write of byPath.values()) {
    let hidden = false;
    for (let depth = 0; depth < write.path.length && !hidden; depth++) {
      const above = byPath.get(pathKey(write.path.slice(0, depth)));
      hidden = above !== undefined && compareWrites(above, write) > 0;
    }
    if (!hidden) kept.push(write);
  }
  return kept.sort((a, b) => comparePaths(a.path, b.path));
}

/** The stamp of a write: the write less its value. */
function stampOf(write: FieldWrite): FieldStamp {
  const { value: _value, ...stamp } = write;
  return stamp;
}

/**
 * The record that `writes` make (each kept only if no other hides it): applied in
 * stamp order onto nothing.
 */
export function recordOfWrites(writes: Iterable<FieldWrite>): FieldRecord {
  const kept = survivingWrites(writes);
  let value: JsonValue | undefined;
  let exists = false;
  for (const write of [...kept].sort(compareApply)) {
    value = writePath(value, write.path, write.deleted === true ? undefined : copyJson(write.value ?? null));
    if (write.deleted !== true) exists = true;
  }
  const fields = kept.map(stampOf);
  return exists ? { op: 'put', value: value ?? null, fields } : { op: 'delete', fields };
}

/**
 * The writes a record keeps, each with the value it holds read back from the merged
 * value (see the file comment). A set whose path the value lacks (a record not made by
 * these rules) reads as `null`.
 */
export function writesOfRecord(record: FieldRecord): FieldWrite[] {
  const value = record.op === 'put' ? record.value : undefined;
  return record.fields.map((stamp): FieldWrite => (stamp.deleted === true ? stamp : { ...stamp, value: readPath(value, stamp.path) ?? null }));
}

/** The field-level record that merges `a` and `b`: what a replica holds once it has seen both. */
export function mergeFieldRecords(a: FieldRecord, b: FieldRecord): FieldRecord {
  return recordOfWrites([...writesOfRecord(a), ...writesOfRecord(b)]);
}

/** The writes one change makes, all with its stamp: a put or delete writes `[]`, a patch its paths. */
export function changeWrites(change: (RecordState | PatchState) & WriteStamp): FieldWrite[] {
  const stamp: WriteStamp = { hlc: change.hlc, source: change.source };
  if (change.op === 'put') return [{ path: [], ...stamp, value: change.value }];
  if (change.op === 'delete') return [{ path: [], ...stamp, deleted: true }];
  return change.fields.map((field): FieldWrite => (field.value === undefined ? { path: field.path, ...stamp, deleted: true } : { path: field.path, ...stamp, value: field.value }));
}

/**
 * A stored or pulled record as a field-level one: its own stamps, or, for a record
 * written whole (no stamps), one write of `[]` by its writer at its version.
 */
export function asFieldRecord(record: RecordState & WriteStamp & { readonly version?: number; readonly fields?: readonly FieldStamp[] }): FieldRecord {
  if (record.fields !== undefined) return record.op === 'put' ? { op: 'put', value: record.value, fields: record.fields } : { op: 'delete', fields: record.fields };
  const [write] = changeWrites(record) as [FieldWrite];
  const versioned = record.version === undefined ? write : { ...write, version: record.version };
  return recordOfWrites([versioned]);
}

/**
 * `record` with every stamp that names no version given `version`: stored and fed
 * records leave out the version of the writes that made their own (see
 * {@link FieldStamp.version}); a holder that keeps them beside other versions fills it in.
 */
export function withVersions(record: FieldRecord, version: number): FieldRecord {
  if (record.fields.every((stamp) => stamp.version !== undefined)) return record;
  return { ...record, fields: record.fields.map((stamp) => (stamp.version === undefined ? { ...stamp, version } : stamp)) };
}

/** The one replica whose writes make `fields`, or {@link SEVERAL_WRITERS}. */
export function writerOf(fields: readonly FieldStamp[]): string {
  const [first, ...rest] = fields;
  return first !== undefined && rest.every((stamp) => stamp.source === first.source) ? first.source : SEVERAL_WRITERS;
}

/** Which write a stamp is: its path, clock and writer (not its version, nor what it overruled). */
export function stampKey(stamp: FieldStamp): string {
  return `${pathKey(stamp.path)}|${stamp.hlc}|${stamp.source}`;
}

/** Do two field-level records hold the same state and stamps? */
export function sameFieldRecord(a: FieldRecord, b: FieldRecord): boolean {
  return canonicalJson(a as unknown as JsonValue) === canonicalJson(b as unknown as JsonValue);
}

/** The latest stamp of a record (its writer and clock as a whole), or undefined when it has none. */
export function latestStamp(fields: readonly FieldStamp[]): WriteStamp | undefined {
  let latest: FieldStamp | undefined;
  for (const stamp of fields) if (latest === undefined || compareWrites(stamp, latest) > 0) latest = stamp;
  return latest === undefined ? undefined : { hlc: latest.hlc, source: latest.source };
}
