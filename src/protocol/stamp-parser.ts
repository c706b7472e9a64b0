/**
 * The stamps of a pulled field-level record (`PulledChange.fields`), checked as strictly
 * as the rest of a pulled change. The pull parser only sees that each is an object: the
 * default worker stores stamps with the record and never reads them, so it carries no
 * code for them. A replica that keeps field-level records checks them here before it
 * merges with them (`store/replica-fields.ts`).
 */
import { is, list, object, positiveCount, type Path } from './answer-parsers.ts';
import type { FieldStamp } from './types.ts';
import { fieldPathRule, hlcRule, MAX_RECORD_FIELDS, uuidRule } from './wire-rules.ts';
import type { WriteStamp } from './write-order.ts';

const writeStamp = /* @__PURE__ */ object<WriteStamp>({ hlc: is(hlcRule), source: is(uuidRule) }, [], true);

const fieldStamps = /* @__PURE__ */ list(
  /* @__PURE__ */ object<FieldStamp>(
    {
      path: is(fieldPathRule),
      hlc: is(hlcRule),
      source: is(uuidRule),
      deleted: is({ test: (value): value is true => value === true, must: 'must be true when present' }),
      version: positiveCount,
      over: list(writeStamp, MAX_RECORD_FIELDS),
    },
    ['deleted', 'version', 'over'],
    true,
  ),
  MAX_RECORD_FIELDS,
);

/**
 * The stamps `value`, checked; throws `INVALID_PAYLOAD` naming the first wrong one, at
 * `path` (what is parsed, then the keys down to the stamps: `['pulled change', 'todos/1', 'fields']`).
 */
export function parseFieldStamps(value: unknown, path: Path): FieldStamp[] {
  return fieldStamps(value, path);
}
