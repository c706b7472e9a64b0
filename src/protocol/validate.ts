/**
 * Runtime validation of every wire message. Requests, which a server reads from
 * anyone, are checked with valibot schemas; the server's answers, which only the
 * worker reads, by the hand-written parsers of `answer-parsers.ts` (re-exported here),
 * so that the worker does not carry valibot. Both build on the same field rules
 * (`wire-rules.ts`). `parseX(input)` returns the typed message or throws a SyncError
 * `INVALID_PAYLOAD` whose message names the offending field.
 */
import * as v from 'valibot';
import { isWithinDrift, parseHlc } from '../clock/hlc.ts';
import { ErrorCode, SyncError } from './errors.ts';
import type { HandshakeRequest, JsonValue, PullRequest, PushedChange, PushRequest, SyncChange } from './types.ts';
import {
  changeOpRule,
  collectiveRule,
  countRule,
  fieldPathRule,
  hlcRule,
  instanceKeyRule,
  jsonValueRule,
  MAX_BATCH_SIZE,
  MAX_CAPABILITIES,
  MAX_PATCH_FIELDS,
  MAX_PULL_COLLECTIVES,
  opRule,
  PATCH_FIELDS_MUST,
  patchFieldsFit,
  policyRule,
  positiveCountRule,
  recordIdRule,
  STATE_MATCHES_OP_MUST,
  stateMatchesOp,
  uuidRule,
  VALUE_MATCHES_OP_MUST,
  valueMatchesOp,
  type WireRule,
} from './wire-rules.ts';

export {
  MAX_BATCH_SIZE,
  MAX_CAPABILITIES,
  MAX_COLLECTIVE_LENGTH,
  MAX_FIELD_KEY_LENGTH,
  MAX_INSTANCE_KEY_LENGTH,
  MAX_PATCH_FIELDS,
  MAX_PULL_COLLECTIVES,
  MAX_RECORD_FIELDS,
  MAX_RECORD_ID_LENGTH,
} from './wire-rules.ts';
export { parseHandshakeResponse, parseHealthResponse, parsePullResponse, parsePushResponse } from './answer-parsers.ts';

/** A valibot schema of one field rule: its test, its sentence. */
function field<T>({ test, must }: WireRule<T>) {
  return /* @__PURE__ */ v.custom<T>(test, must);
}

const count = /* @__PURE__ */ field(countRule);
const positiveCount = /* @__PURE__ */ field(positiveCountRule);
const collective = /* @__PURE__ */ field(collectiveRule);
const recordId = /* @__PURE__ */ field(recordIdRule);
const instanceId = /* @__PURE__ */ field(uuidRule);
const hlc = /* @__PURE__ */ field(hlcRule);
const instanceKey = /* @__PURE__ */ v.exactOptional(/* @__PURE__ */ field(instanceKeyRule));
const jsonValue = /* @__PURE__ */ field(jsonValueRule);
const op = /* @__PURE__ */ field(opRule);

/**
 * What every pushed change carries besides its state. The schemas that spread it are
 * built in functions: spread at top level, an object may run getters, so a bundler
 * keeps the spread, and valibot with it, in the worker.
 */
function changeEntries() {
  return { seq: positiveCount, source: instanceId, collective, id: recordId, hlc, baseVersion: v.nullable(count) };
}

function syncChangeSchema() {
  return v.pipe(v.strictObject({ ...changeEntries(), op, value: v.exactOptional(jsonValue) }), v.guard(valueMatchesOp, VALUE_MATCHES_OP_MUST));
}

export const SyncChangeSchema = /* @__PURE__ */ syncChangeSchema();

/**
 * A patch's entries. The length is checked before an entry is looked at (see
 * `assertListLength`): a pipe stops at its first failing step.
 */
function patchFields() {
  return v.pipe(
    v.custom<unknown[]>((value) => Array.isArray(value) && value.length > 0 && value.length <= MAX_PATCH_FIELDS, `must be a list of 1 to ${MAX_PATCH_FIELDS} entries`),
    v.array(v.strictObject({ path: field(fieldPathRule), value: v.exactOptional(jsonValue) })),
    v.check((fields) => patchFieldsFit(fields), PATCH_FIELDS_MUST),
  );
}

function pushedChangeSchema() {
  return v.pipe(
    v.strictObject({ ...changeEntries(), op: field(changeOpRule), value: v.exactOptional(jsonValue), fields: v.exactOptional(patchFields()) }),
    v.guard(stateMatchesOp, STATE_MATCHES_OP_MUST),
  );
}

/** Any change a push may carry: a put, a delete or (under `field-last-write-wins`) a patch. */
export const PushedChangeSchema = /* @__PURE__ */ pushedChangeSchema();

export const HandshakeRequestSchema = /* @__PURE__ */ v.strictObject({
  instanceId,
  protocolVersion: positiveCount,
  capabilities: /* @__PURE__ */ v.pipe(
    /* @__PURE__ */ v.array(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.maxLength(64))),
    /* @__PURE__ */ v.maxLength(MAX_CAPABILITIES),
  ),
  instanceKey,
  lastSeq: /* @__PURE__ */ v.exactOptional(count),
});

/**
 * A pull's `batchSize`. Built in a function because a bundler must evaluate a template
 * literal at top level (it may call `toString`), and that kept this schema, and valibot
 * with it, in the worker.
 */
function batchSize() {
  return v.pipe(positiveCount, v.maxValue(MAX_BATCH_SIZE, `must be at most ${MAX_BATCH_SIZE}`));
}

export const PullRequestSchema = /* @__PURE__ */ v.strictObject({
  instanceId,
  instanceKey,
  cursor: count,
  batchSize: /* @__PURE__ */ batchSize(),
  collectives: /* @__PURE__ */ v.exactOptional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.array(collective), /* @__PURE__ */ v.maxLength(MAX_PULL_COLLECTIVES))),
  withTotal: /* @__PURE__ */ v.exactOptional(/* @__PURE__ */ v.boolean()),
  snapshotMark: /* @__PURE__ */ v.exactOptional(count),
  fields: /* @__PURE__ */ v.exactOptional(/* @__PURE__ */ v.boolean()),
});

export const PushRequestSchema = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({
    instanceId,
    instanceKey,
    policy: /* @__PURE__ */ field(policyRule),
    changes: /* @__PURE__ */ v.array(PushedChangeSchema),
  }),
  /* @__PURE__ */ v.check(
    (req) => req.policy === 'field-last-write-wins' || req.changes.every((c) => c.op !== 'patch'),
    'a patch needs policy "field-last-write-wins"',
  ),
  /* @__PURE__ */ v.check(
    (req) => req.changes.every((c) => c.source === req.instanceId),
    'every change must have source equal to instanceId',
  ),
  /* @__PURE__ */ v.check(
    (req) => req.changes.every((c, i) => i === 0 || c.seq > (req.changes[i - 1] as PushedChange).seq),
    'changes must be in strictly increasing seq order',
  ),
);

/** Turns valibot issues into one readable sentence naming the field. */
function describeIssues(what: string, issues: readonly v.BaseIssue<unknown>[]): string {
  const parts = issues.slice(0, 3).map((issue) => {
    const path = v.getDotPath(issue);
    return path === null ? issue.message : `${path}: ${issue.message}`;
  });
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return `Invalid ${what}: ${parts.join('; ')}${more}`;
}

/** A list that a message may hold, checked for length before validation walks it. */
interface ListCap {
  readonly field: string;
  readonly max: number;
  /** Default `INVALID_PAYLOAD`; `PAYLOAD_TOO_LARGE` where the sender should split (pushes). */
  readonly code?: ErrorCode;
}

/**
 * Throws when `input[field]` is a list of more than `max` items, before a single item
 * is looked at: validating 7 million elements to refuse them took 53 s (issue 11,
 * finding 3). Anything else passes here; the schema judges it.
 */
export function assertListLength(input: unknown, what: string, { field, max, code = ErrorCode.INVALID_PAYLOAD }: ListCap): void {
  if (typeof input !== 'object' || input === null) return;
  const list: unknown = (input as Record<string, unknown>)[field];
  if (!Array.isArray(list) || list.length <= max) return;
  const hint = code === ErrorCode.PAYLOAD_TOO_LARGE ? ': send smaller batches' : '';
  throw new SyncError(code, `Invalid ${what}: ${field} holds ${list.length} items, at most ${max} are accepted${hint}`, {
    details: { field, limit: max, size: list.length },
  });
}

function parser<S extends v.GenericSchema>(what: string, schema: S): (input: unknown) => v.InferOutput<S> {
  return (input) => {
    // abortEarly: the first issue is enough to refuse, and a list of bad elements must
    // not cost an issue object each.
    const result = v.safeParse(schema, input, { abortEarly: true });
    if (result.success) return result.output;
    throw new SyncError(ErrorCode.INVALID_PAYLOAD, describeIssues(what, result.issues), {
      details: { issues: result.issues.slice(0, 3).map((i) => ({ path: v.getDotPath(i), message: i.message })) },
    });
  };
}

/**
 * A parser of a request, which a server reads from anyone: it checks list lengths
 * before the schema walks them.
 */
function requestParser<S extends v.GenericSchema>(what: string, schema: S, lists: readonly ListCap[]): (input: unknown) => v.InferOutput<S> {
  // Nothing is called until a request is parsed, so a bundle that never parses one drops it all.
  return (input) => {
    for (const cap of lists) assertListLength(input, what, cap);
    return parser(what, schema)(input);
  };
}

// The explicit return types tie each schema to its hand-written interface: a drift
// between the two fails to compile.
export const parseSyncChange: (input: unknown) => SyncChange = /* @__PURE__ */ parser('change', SyncChangeSchema);
export const parseHandshakeRequest: (input: unknown) => HandshakeRequest = /* @__PURE__ */ requestParser('handshake request', HandshakeRequestSchema, [
  { field: 'capabilities', max: MAX_CAPABILITIES },
]);
export const parsePullRequest: (input: unknown) => PullRequest = /* @__PURE__ */ requestParser('pull request', PullRequestSchema, [
  { field: 'collectives', max: MAX_PULL_COLLECTIVES },
]);
export const parsePushRequest: (input: unknown) => PushRequest = /* @__PURE__ */ requestParser('push request', PushRequestSchema, [
  // A literal, not ErrorCode.PAYLOAD_TOO_LARGE: a bundler keeps a property read, and with it the schema.
  { field: 'changes', max: MAX_BATCH_SIZE, code: 'PAYLOAD_TOO_LARGE' },
]);

/**
 * Checks that a timestamp is well formed and at most `maxDriftMs` ahead of the wall
 * clock `nowMs`; throws INVALID_PAYLOAD naming `field`, with `details.reason`
 * `'clock-drift'`, otherwise. The one rule both sides apply (issue 11, finding 1): the
 * server calls it on every pushed change, with its own clock and bound (default
 * `DEFAULT_MAX_CLOCK_DRIFT_MS`), so no writer can plant a clock that would make the
 * replicas adopting it stamp writes the server refuses; a replica applies the same rule
 * (`isWithinDrift`) before adopting a pulled clock, and never stamps beyond it.
 *
 * @example
 * for (const [i, change] of request.changes.entries()) {
 *   assertHlcWithinDrift(change.hlc, Date.now(), maxClockDriftMs, `changes[${i}].hlc`);
 * }
 */
export function assertHlcWithinDrift(value: unknown, nowMs: number, maxDriftMs: number, field = 'hlc'): asserts value is string {
  assertRule(hlcRule, value, field);
  if (isWithinDrift(value, nowMs, maxDriftMs)) return;
  const aheadMs = (parseHlc(value)?.wallMs ?? 0) - nowMs;
  throw new SyncError(
    ErrorCode.INVALID_PAYLOAD,
    `${field} is ${aheadMs} ms ahead of the clock checking it, more than the ${maxDriftMs} ms allowed: the writer's clock runs fast (set it right) or the timestamp is forged`,
    { details: { field, reason: 'clock-drift', hlc: value, aheadMs, maxDriftMs } },
  );
}

/** Throws INVALID_PAYLOAD naming `field` unless `value` keeps `rule`. */
function assertRule<T>(rule: WireRule<T>, value: unknown, field: string): asserts value is T {
  if (!rule.test(value)) throw new SyncError(ErrorCode.INVALID_PAYLOAD, `${field} ${rule.must}, got ${describe(value)}`, { details: { field } });
}

/** Checks a collective name from the public API; throws INVALID_PAYLOAD naming it. */
export function assertCollective(value: unknown, field = 'collective'): asserts value is string {
  assertRule(collectiveRule, value, field);
}

/** Checks a record id from the public API; throws INVALID_PAYLOAD naming it. */
export function assertRecordId(value: unknown, field = 'id'): asserts value is string {
  assertRule(recordIdRule, value, field);
}

/** Checks a record value from the public API; throws INVALID_PAYLOAD naming it. */
export function assertJsonValue(value: unknown, field = 'value'): asserts value is JsonValue {
  if (!jsonValueRule.test(value)) {
    throw new SyncError(
      ErrorCode.INVALID_PAYLOAD,
      `${field} must be plain JSON (null, boolean, finite number, string, array, plain object), got ${describe(value)}`,
    );
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return `a ${value.constructor?.name ?? 'null-prototype object'}`;
  return String(value);
}
