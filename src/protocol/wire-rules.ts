/**
 * The rules of single wire fields, written once as plain predicates with the sentence
 * that says what a value must be. Both readers of the wire use them: the server's
 * valibot request schemas (`v.custom(rule.test, rule.must)` in `validate.ts`) and the
 * worker's hand-written answer parsers (`answer-parsers.ts`), so a request and an
 * answer can never disagree on what a collective name or a count is.
 */
import { isHlc } from '../clock/hlc.ts';
import { anyPathsOverlap, type FieldPath } from './field-path.ts';
import { FIELDS_BUILT } from './fields-built.ts';
import { isJsonValue, MAX_JSON_DEPTH } from './json-value.ts';
import type { ChangeOp, ConflictPolicy, FieldPatch, JsonValue, PatchState, RecordState } from './types.ts';

/** Longest collective name. */
export const MAX_COLLECTIVE_LENGTH = 128;
/** Longest record id. */
export const MAX_RECORD_ID_LENGTH = 512;
/** Largest `batchSize` a pull may ask for, and most changes in one push. */
export const MAX_BATCH_SIZE = 10_000;
/** Most collectives one pull may name. */
export const MAX_PULL_COLLECTIVES = 1000;
/** Most capabilities one handshake may announce. */
export const MAX_CAPABILITIES = 64;
/** Longest instance key (a server issues far shorter ones). */
export const MAX_INSTANCE_KEY_LENGTH = 256;
/** Most entries in one patch. */
export const MAX_PATCH_FIELDS = 1000;
/**
 * Most stamps one field-level record keeps (one per written path that no later write
 * hid, deleted paths included); a change that would take a record past it is refused.
 */
export const MAX_RECORD_FIELDS = 10_000;
/** Longest key in a field path. */
export const MAX_FIELD_KEY_LENGTH = 512;

/** A rule on one field: the test, and what a value must be (`"<path>: <must>"` in a refusal). */
export interface WireRule<T> {
  readonly test: (value: unknown) => value is T;
  readonly must: string;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A non-empty string of at most `max` characters (names, ids, keys). */
function boundedString(max: number): WireRule<string> {
  return {
    test: (value): value is string => typeof value === 'string' && value.length > 0 && value.length <= max,
    must: `must be a non-empty string of at most ${max} characters`,
  };
}

/** A string, not empty: a server id, a peer, a note key. */
export const nonEmptyStringRule: WireRule<string> = {
  test: (value): value is string => typeof value === 'string' && value !== '',
  must: 'must be a non-empty string',
};
/** A cursor, a version, a count of things: a safe integer ≥ 0. */
export const countRule: WireRule<number> = {
  test: (value): value is number => Number.isSafeInteger(value) && (value as number) >= 0,
  must: 'must be a non-negative safe integer',
};
/** A seq, a version that names a write, a protocol version: a safe integer ≥ 1. */
export const positiveCountRule: WireRule<number> = {
  test: (value): value is number => Number.isSafeInteger(value) && (value as number) >= 1,
  must: 'must be a positive safe integer',
};
/** A collective name. */
export const collectiveRule = /* @__PURE__ */ boundedString(MAX_COLLECTIVE_LENGTH);
/** A record id. */
export const recordIdRule = /* @__PURE__ */ boundedString(MAX_RECORD_ID_LENGTH);
/** An instance key is opaque to the client; the bound only keeps a hostile one small. */
export const instanceKeyRule = /* @__PURE__ */ boundedString(MAX_INSTANCE_KEY_LENGTH);
/** An instance id (the source of a change). */
export const uuidRule: WireRule<string> = {
  test: (value): value is string => typeof value === 'string' && UUID_PATTERN.test(value),
  must: 'must be a UUID',
};
/** A hybrid logical clock timestamp. */
export const hlcRule: WireRule<string> = { test: isHlc, must: 'must be a hybrid logical clock timestamp' };
/** A record value. */
export const jsonValueRule: WireRule<JsonValue> = { test: isJsonValue, must: 'must be a plain JSON value' };
/** One of a few strings, as a picklist. */
export function oneOf<const T extends string>(...options: T[]): WireRule<T> {
  return {
    test: (value): value is T => options.includes(value as T),
    must: `must be ${options.map((option) => `"${option}"`).join(' or ')}`,
  };
}

/** What a record's state is (a pulled change, a whole-record change). */
export const opRule: WireRule<ChangeOp> = /* @__PURE__ */ oneOf('put', 'delete');
/** What a pushed change does. */
export const changeOpRule: WireRule<ChangeOp | 'patch'> = /* @__PURE__ */ oneOf('put', 'delete', 'patch');
/** How the server settles a change that meets a newer one. */
// The prebuilt default worker never meets the field policy: it refuses it at connect (see FIELDS_BUILT).
export const policyRule: WireRule<ConflictPolicy> = /* @__PURE__ */ oneOf('last-write-wins', 'server-wins', ...(FIELDS_BUILT ? (['field-last-write-wins'] as const) : []));

/** A key of a field path: any string (dots included) up to {@link MAX_FIELD_KEY_LENGTH}. */
export const fieldKeyRule: WireRule<string> = {
  test: (value): value is string => typeof value === 'string' && value.length <= MAX_FIELD_KEY_LENGTH,
  must: `must be a string of at most ${MAX_FIELD_KEY_LENGTH} characters`,
};

/** A field path: 1 to {@link MAX_JSON_DEPTH} keys (`[]`, the whole record, only in stamps). */
export const fieldPathRule: WireRule<FieldPath> = {
  test: (value): value is FieldPath => Array.isArray(value) && value.length <= MAX_JSON_DEPTH && value.every((key) => fieldKeyRule.test(key)),
  must: `must be a list of at most ${MAX_JSON_DEPTH} keys, each a string of at most ${MAX_FIELD_KEY_LENGTH} characters`,
};

/** What {@link patchFieldsFit} refuses, in words. */
export const PATCH_FIELDS_MUST = `must name each path once, none inside another, none empty, and no value nesting deeper than ${MAX_JSON_DEPTH} levels with its path`;

/**
 * A patch's entries fit together: no entry writes the whole record (`[]`), no path is
 * another's or lies inside another's (they would share one stamp, and the outcome would
 * hang on their order), and a value with its path nests at most {@link MAX_JSON_DEPTH} deep.
 */
export function patchFieldsFit(fields: readonly FieldPatch[]): boolean {
  if (fields.some((field) => field.path.length === 0 || (field.value !== undefined && !isJsonValue(field.value, field.path.length)))) return false;
  return !anyPathsOverlap(fields.map((field) => field.path));
}

/** What {@link stateMatchesOp} refuses, in words. */
export const STATE_MATCHES_OP_MUST = 'a put needs a value, a patch its fields, and a delete neither';

/** {@link valueMatchesOp} for pushed changes: a patch carries fields and no value; a put or a delete none. */
export function stateMatchesOp<T extends { op: string; value?: JsonValue; fields?: readonly FieldPatch[] }>(change: T): change is T & (RecordState | PatchState) {
  if (change.op === 'patch') return change.fields !== undefined && change.value === undefined;
  return change.fields === undefined && valueMatchesOp(change);
}

/** What {@link valueMatchesOp} refuses, in words. */
export const VALUE_MATCHES_OP_MUST = 'a put needs a value and a delete must have none';

/**
 * A put carries a value, a delete none. A guard, not a check, so the parsed type is
 * the {@link RecordState} union the rest of the code narrows on.
 */
export function valueMatchesOp<T extends { op: string; value?: JsonValue }>(change: T): change is T & RecordState {
  return change.op === 'put' ? change.value !== undefined : change.value === undefined;
}
