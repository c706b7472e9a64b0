/**
 * The one order of writes under last-write-wins: the later hybrid logical clock wins,
 * and between equal clocks the higher instance id. The server's whole-record rule
 * (`apply-push.ts`) and the field-level merge (`field-merge.ts`) both decide with it, so
 * a field and a record can never be ordered two ways.
 *
 * Why the source as well as the clock, when a clock already ends with its node: a
 * replica that took a new identity keeps the clocks of its pending writes (their node
 * is the old id) and pushes them under the new one, and nothing makes a writer's node
 * its instance id. The source is what the server vouches for.
 */
import { compareHlc, type Hlc } from '../clock/hlc.ts';
import type { InstanceId } from './types.ts';

/** Who wrote, and when: what orders two writes. */
export interface WriteStamp {
  readonly hlc: Hlc;
  /** The replica that made the write. */
  readonly source: InstanceId;
}

/** Negative when `a` was written before `b`, positive after, 0 for the same stamp. */
export function compareWrites(a: WriteStamp, b: WriteStamp): number {
  const order = compareHlc(a.hlc, b.hlc);
  if (order !== 0) return order;
  return a.source < b.source ? -1 : a.source > b.source ? 1 : 0;
}
