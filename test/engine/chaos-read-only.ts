/**
 * What a replica may hold of a record in a collective it may read but not write (its
 * writes there all refused `FORBIDDEN`), under a policy whose writes merge
 * (field-last-write-wins): a rule the check computes from the writes alone.
 *
 * What the product does (`src/engine/push.ts`, `src/store/acked-tombstones.ts`,
 * `src/store/field-plans.ts`): a refused write is not undone, it stays in the replica;
 * a pulled server state merges with the record held, field by field, as any other. So
 * the record is the merge of everything that met it. One thing forgets: the server's
 * acknowledgement of a delete of this replica drops the row while it is still that
 * delete's tombstone, refused or not. Then what the row held goes with it (the replica's
 * own earlier writes and the server's states merged so far), and the delete shadows
 * nothing that comes later. Whether that happens depends on timing, which a model of
 * write sets cannot see: the replica wrote the record again before the answer came (the
 * row is no longer the tombstone: the delete's stamp stays, hiding every older field of
 * the server's for good), or not; and the server's latest state of the record came in
 * after the drop (it merges in whole, older fields and all), or before it (gone with
 * the row). Seeds 446, 500, 1267, 1504, 1575, 1660 and 1861 met it.
 *
 * So the replica holds one of these, and nothing else:
 * - no row dropped: the server's writes and all its own, merged;
 * - dropped at its own delete `d` (any of them): its own writes after `d`, merged with
 *   the server's writes (its latest state came after the drop) or alone (before it).
 * Merging is order-free (field-level last-write-wins is the same whatever order states
 * meet in), so each is what `madeBy` makes of a set of writes. The server's writes are
 * all of them: every replica pulls each record's latest state once faults stop.
 */
import type { ModelWrite } from './chaos-model.ts';
import type { ChaosPolicy } from './chaos-policies.ts';

/** A record as the check compares it: its value and its clock; null, no record. */
export type Outcome = { readonly value: unknown; readonly hlc: string } | null;

/**
 * Every record a read-only replica may hold (see the file comment), from the writes the
 * server may keep (`allowed`) and the replica's own refused writes of the record, in the
 * order it made them (`mine`).
 */
export function readOnlyOutcomes(madeBy: NonNullable<ChaosPolicy['madeBy']>, allowed: readonly ModelWrite[], mine: readonly ModelWrite[]): Outcome[] {
  const outcomes: Outcome[] = [madeBy([...allowed, ...mine])];
  mine.forEach((w, i) => {
    if (w.state.op !== 'delete') return;
    const after = mine.slice(i + 1);
    outcomes.push(madeBy([...allowed, ...after]), madeBy(after));
  });
  return outcomes;
}
