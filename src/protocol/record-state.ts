/**
 * The one converter between record shapes: the {@link RecordState} of any of them,
 * alone. Every shape is a state plus fields of its own, so building one from another is
 * `{ ...fields, ...recordState(other) }`; picking (not spreading `other` whole) keeps the
 * other shape's fields (a change's `seq`, a row's `version`) out of the new one.
 */
import type { RecordState } from './types.ts';

/** The state of `record`: its op, and its value when it is a put. */
export function recordState(record: RecordState): RecordState {
  return record.op === 'put' ? { op: 'put', value: record.value } : { op: 'delete' };
}
