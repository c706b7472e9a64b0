/**
 * The wire's field-level shapes (under `field-last-write-wins`): a patch's entries and
 * state, and the stamps the server keeps and feeds per written path. Re-exported from
 * `types.ts`, beside the messages that carry them.
 */
import type { FieldPath } from './field-path.ts';
import type { JsonValue } from './types.ts';
import type { WriteStamp } from './write-order.ts';

/**
 * One entry of a patch: `value` written at `path`, or, without a value, the key at
 * `path` deleted. `path` is never `[]` (a write of the whole record is a put).
 */
export interface FieldPatch {
  readonly path: FieldPath;
  readonly value?: JsonValue;
}

/**
 * What a patch does: writes some fields of a record and leaves the others as they are.
 * No entry's path is another's or lies inside another's.
 */
export interface PatchState {
  readonly op: 'patch';
  readonly fields: readonly FieldPatch[];
  readonly value?: never;
}

/**
 * When and by whom one path of a field-level record was written, as the server keeps
 * it and feeds it beside the merged value (see `field-merge.ts`).
 */
export interface FieldStamp extends WriteStamp {
  readonly path: FieldPath;
  /** The write deleted the path (`[]`: deleted the record). Absent: it set a value. */
  readonly deleted?: true;
  /**
   * The server version of the write that brought this stamp. Absent: the version of
   * the record that carries it (on the wire and in the stores), or not yet known (a
   * replica's own unpushed write).
   */
  readonly version?: number;
  /**
   * Writes this one overruled (wholly or in part) that its writer had not seen: their
   * writers learn from it that they lost a conflict. Set by the server once.
   */
  readonly over?: readonly WriteStamp[];
}
