/**
 * A patch as the page gives it (`PatchInput`: dotted keys, or a list of paths) checked
 * and copied into change-log form, failing `INVALID_PAYLOAD` where the server's schema
 * would refuse it (`protocol/validate.ts`), before any transaction opens.
 */
import { pathKey } from '../protocol/field-path.ts';
import type { FieldPatch, JsonValue } from '../protocol/types.ts';
import { assertCollective, assertJsonValue, assertRecordId } from '../protocol/validate.ts';
import { fieldPathRule, MAX_PATCH_FIELDS, PATCH_FIELDS_MUST, patchFieldsFit } from '../protocol/wire-rules.ts';
import type { PatchInput } from './field-seam.ts';
import type { LoggedChange } from './schema.ts';
import { assertArray, invalid } from './write-validation.ts';

/** A patch's entries as a list: an object's dotted keys split into paths. */
function patchEntries(fields: PatchInput): readonly FieldPatch[] {
  if (Array.isArray(fields)) return fields;
  if (typeof fields !== 'object' || fields === null) throw invalid('fields must be an object of dotted paths, or a list of { path, value }');
  return Object.entries(fields as Readonly<Record<string, JsonValue | undefined>>).map(([key, value]) =>
    value === undefined ? { path: key.split('.') } : { path: key.split('.'), value },
  );
}

/** Checks a patch and copies it into change-log form; see the file comment. */
export function toLoggedPatch(collective: string, id: string, input: PatchInput): LoggedChange {
  assertCollective(collective);
  assertRecordId(id);
  const fields = patchEntries(input);
  assertArray(fields, 'fields');
  if (fields.length === 0 || fields.length > MAX_PATCH_FIELDS) throw invalid(`fields must hold 1 to ${MAX_PATCH_FIELDS} entries, got ${fields.length}`);
  const copied = fields.map((field, i): FieldPatch => {
    const at = `fields[${i}]`;
    if (typeof field !== 'object' || field === null) throw invalid(`${at} must be an object`);
    if (!fieldPathRule.test(field.path)) throw invalid(`${at}.path ${fieldPathRule.must}`);
    if (field.value === undefined) return { path: [...field.path] };
    assertJsonValue(field.value, `${at}.value (${pathKey(field.path)})`);
    return { path: [...field.path], value: field.value };
  });
  if (!patchFieldsFit(copied)) throw invalid(`fields ${PATCH_FIELDS_MUST}`);
  return { collective, id, op: 'patch', fields: copied };
}
