/**
 * Who lost a whole-record conflict under `last-write-wins` without hearing of it: the
 * server's mark on a record (`ServerRecordWrite.over`), and what of it each puller reads.
 *
 * A pushed change carries its base version: how far its writer had pulled. When the
 * server accepts a whole-record write over a state written after that version by
 * another replica, the two were concurrent (neither writer had seen the other's), and
 * the replaced one lost. Its writer is told nothing at that moment: its push was
 * answered long ago. So the new row names the write it overruled, and that writer
 * learns of its loss when it pulls the record (`PulledChange.over`); the writer of a
 * change that loses by clock is told in its push's answer instead (`apply-push.ts`).
 *
 * A later write keeps the marks of the state it replaces (their writers may not have
 * pulled yet: a device offline for a week still hears that its edit was lost), but for
 * those naming its own writer, who has either heard (it pulled before writing) or
 * replaced its own write (its new one won). So a record holds at most one mark per
 * writer, the latest {@link MAX_MARKS} of them. A replica reports a mark only while it
 * still holds the very write it names (see `store/write-plans.ts`), so a mark that
 * stays on the row is told once.
 */
import type { Hlc } from '../clock/hlc.ts';
import type { InstanceId, PushedChange } from '../protocol/types.ts';
import { compareWrites, type WriteStamp } from '../protocol/write-order.ts';
import type { ServerRecord, ServerRecordWrite } from './types.ts';

/** Most marks a record keeps (the latest by clock): one per writer that lost to it unheard. */
export const MAX_MARKS = 16;

/**
 * The marks a whole-record write of `change` over `replaced` (the committed row, if
 * any) carries: those of `replaced` not naming the change's writer, plus `replaced`
 * itself when the change's writer had not seen it (its version is above the change's base).
 */
export function overruledBy(change: PushedChange, replaced: ServerRecord | undefined): readonly WriteStamp[] | undefined {
  if (replaced === undefined) return undefined;
  const base = change.baseVersion ?? 0;
  // A field-level record's writers keep field-level records, whose merge knows its own
  // marks (`FieldStamp.over`) and reads no other: none for them.
  const unseen = replaced.fields === undefined && replaced.version > base ? [replaced] : [];
  // Latest first, then one per writer: its latest write the record overruled.
  const marks = [...unseen, ...(replaced.over ?? [])].sort((a, b) => compareWrites(b, a));
  const latest = new Map<InstanceId, WriteStamp>();
  for (const { hlc, source } of marks) if (source !== change.source && !latest.has(source)) latest.set(source, { hlc, source });
  const kept = [...latest.values()].slice(0, MAX_MARKS);
  return kept.length === 0 ? undefined : kept;
}

/** `write` with its marks, or without any. */
export function withMarks<T extends ServerRecordWrite>(write: T, marks: readonly WriteStamp[] | undefined): T {
  if (marks === undefined) return write;
  return { ...write, over: marks };
}

/** The clock of `puller`'s write that `row` names as overruled, if any. */
export function markFor(row: ServerRecordWrite, puller: InstanceId | undefined): Hlc | undefined {
  return row.over?.find((mark) => mark.source === puller)?.hlc;
}
