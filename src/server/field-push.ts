/**
 * One pushed change under `field-last-write-wins`, met with the record the server
 * holds: the rules of `protocol/field-merge.ts` decide the new record, and this says
 * what the push answer tells the writer. `apply-push.ts` calls it per change, inside the
 * push's transaction.
 *
 * Concurrency. A change carries its base version: the server version its writer had
 * pulled up to. A stamp of the stored record written after that version by another
 * replica is a write the writer had not seen; where its path and one of the change's
 * overlap, the two are concurrent. The later of them wins that path as always, and:
 * - the loser's writer, when it is this change's, is told in the push answer's
 *   `conflicts` (with the record as this push left it);
 * - when this change wins, its stamp names the write it overruled (`over`), so that
 *   writer is told when it pulls the record.
 * Writes to different fields are not concurrent in this sense: both stay, nobody lost.
 */
import {
  asFieldRecord,
  changeWrites,
  EMPTY_FIELD_RECORD,
  latestStamp,
  recordOfWrites,
  sameFieldRecord,
  stampKey,
  withVersions,
  writerOf,
  writesOfRecord,
  type FieldRecord,
  type FieldWrite,
} from '../protocol/field-merge.ts';
import { pathsOverlap } from '../protocol/field-path.ts';
import type { PushedChange } from '../protocol/types.ts';
import { MAX_RECORD_FIELDS } from '../protocol/wire-rules.ts';
import { compareWrites, type WriteStamp } from '../protocol/write-order.ts';
import type { Verdict } from './apply-push.ts';
import { utf8Bytes } from './stores/change-page.ts';
import type { ServerRecord, ServerRecordWrite } from './types.ts';

/** What the rules make of one change. */
export interface FieldVerdict {
  /** The record to write; undefined when the change adds nothing to it (all of it lost, or it was there). */
  readonly write?: ServerRecordWrite;
  /** Tell the writer in the answer's conflicts: the change met writes it had not seen, or lost some of itself. */
  readonly conflict: boolean;
  /** Why the change is refused (`INVALID`): the record would grow past a limit. */
  readonly refused?: string;
}

/** What bounds a field-level record on this server. */
export interface FieldLimits {
  /** Largest value of a record, in bytes of its JSON. */
  readonly maxValueBytes: number;
}

/** The verdict of `apply-push.ts` for a settled field-level change. */
export function fieldVerdict(settled: FieldVerdict): Verdict {
  if (settled.write === undefined) return settled.conflict ? 'lost' : 'same';
  return settled.conflict ? 'merged' : 'write';
}

/** The stored record as a field-level one, every stamp with its version. */
function storedState(stored: ServerRecord | undefined): FieldRecord {
  return stored === undefined ? EMPTY_FIELD_RECORD : withVersions(asFieldRecord(stored), stored.version);
}

/**
 * The change's writes, each naming the concurrent writes it overruled, and whether the
 * change met any concurrent write or lost to one.
 */
function judgeConcurrency(change: PushedChange, stored: FieldRecord): { writes: FieldWrite[]; concurrent: boolean; lost: boolean } {
  const base = change.baseVersion ?? 0;
  const unseen = stored.fields.filter((stamp) => (stamp.version ?? 0) > base && stamp.source !== change.source);
  let concurrent = false;
  let lost = false;
  const writes = changeWrites(change).map((write): FieldWrite => {
    const over: WriteStamp[] = [];
    for (const other of unseen) {
      if (!pathsOverlap(other.path, write.path)) continue;
      concurrent = true;
      if (compareWrites(write, other) > 0) over.push({ hlc: other.hlc, source: other.source });
      else lost = true;
    }
    return over.length === 0 ? write : { ...write, over };
  });
  return { writes, concurrent, lost };
}

/**
 * Settles `change` against `stored` (the committed row, whose versions tell what the
 * writer had not seen) and `held` (what this push has made of the record so far, if it
 * wrote it already; else the stored row).
 */
export function settleFieldChange(stored: ServerRecord | undefined, held: ServerRecordWrite | undefined, change: PushedChange, limits: FieldLimits): FieldVerdict {
  const committed = storedState(stored);
  const before = held === undefined ? committed : asFieldRecord(held);
  const { writes, concurrent, lost } = judgeConcurrency(change, committed);
  const after = recordOfWrites([...writesOfRecord(before), ...writes]);
  const kept = new Set(after.fields.map(stampKey));
  const hidden = writes.some((write) => !kept.has(stampKey(write)));
  // Only a record there before can hold what the change lost to.
  const conflict = stored !== undefined && (concurrent || lost || hidden);
  if (sameFieldRecord(after, before)) return { conflict };
  if (after.fields.length > MAX_RECORD_FIELDS) {
    return { conflict: false, refused: `${change.collective}/${change.id} would keep ${after.fields.length} field stamps; a record keeps at most ${MAX_RECORD_FIELDS}: write it whole (a put) to start it afresh` };
  }
  const bytes = after.op === 'put' ? utf8Bytes(JSON.stringify(after.value)) : 0;
  if (bytes > limits.maxValueBytes) {
    return { conflict: false, refused: `${change.collective}/${change.id} would hold ${bytes} bytes of JSON once patched; this server keeps at most ${limits.maxValueBytes}` };
  }
  const latest = latestStamp(after.fields) as WriteStamp;
  const write: ServerRecordWrite = { collective: change.collective, id: change.id, ...after, hlc: latest.hlc, source: writerOf(after.fields) };
  return { write, conflict };
}
