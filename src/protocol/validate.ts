/**
 * Runtime validation of every wire message, with valibot (modular, so a browser bundle
 * pays only for the schemas it uses). `parseX(input)` returns the typed message or
 * throws a SyncError `INVALID_PAYLOAD` whose message names the offending field.
 */
import * as v from 'valibot';
import { isHlc, isWithinDrift, parseHlc } from '../clock/hlc.ts';
import { ErrorCode, SyncError } from './errors.ts';
import { isJsonValue } from './json-value.ts';
import type {
  HandshakeRequest,
  HandshakeResponse,
  HealthResponse,
  JsonValue,
  PulledChange,
  PullRequest,
  PullResponse,
  PushRequest,
  PushResponse,
  RecordState,
  SyncChange,
} from './types.ts';

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

const count = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.number(), /* @__PURE__ */ v.safeInteger(), /* @__PURE__ */ v.minValue(0));
const positiveCount = /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.number(), /* @__PURE__ */ v.safeInteger(), /* @__PURE__ */ v.minValue(1));
const collective = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.string(),
  /* @__PURE__ */ v.minLength(1, 'must not be empty'),
  /* @__PURE__ */ v.maxLength(MAX_COLLECTIVE_LENGTH, `must be at most ${MAX_COLLECTIVE_LENGTH} characters`),
);
const recordId = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.string(),
  /* @__PURE__ */ v.minLength(1, 'must not be empty'),
  /* @__PURE__ */ v.maxLength(MAX_RECORD_ID_LENGTH, `must be at most ${MAX_RECORD_ID_LENGTH} characters`),
);
const instanceId = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.string(),
  /* @__PURE__ */ v.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID'),
);
const hlc = v.custom<string>(isHlc, 'must be a hybrid logical clock timestamp');
/** An instance key is opaque to the client; the bound only keeps a hostile one small. */
const instanceKey = /* @__PURE__ */ v.exactOptional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.minLength(1), /* @__PURE__ */ v.maxLength(MAX_INSTANCE_KEY_LENGTH)));
const jsonValue = v.custom<JsonValue>(isJsonValue, 'must be a plain JSON value');
const op = /* @__PURE__ */ v.picklist(['put', 'delete'], 'must be "put" or "delete"');

/**
 * A put carries a value, a delete none. A guard, not a check, so the parsed type is
 * the {@link RecordState} union the rest of the code narrows on.
 */
function valueMatchesOp<T extends { op: string; value?: JsonValue }>(change: T): change is T & RecordState {
  return change.op === 'put' ? change.value !== undefined : change.value === undefined;
}

export const SyncChangeSchema = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({
    seq: positiveCount,
    source: instanceId,
    collective,
    id: recordId,
    op,
    value: /* @__PURE__ */ v.exactOptional(jsonValue),
    hlc,
    baseVersion: /* @__PURE__ */ v.nullable(count),
  }),
  /* @__PURE__ */ v.guard(valueMatchesOp, 'a put needs a value and a delete must have none'),
);

export const PulledChangeSchema = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({
    collective,
    id: recordId,
    op,
    value: /* @__PURE__ */ v.exactOptional(jsonValue),
    hlc,
    source: instanceId,
    version: positiveCount,
  }),
  /* @__PURE__ */ v.guard(valueMatchesOp, 'a put needs a value and a delete must have none'),
);

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

export const HandshakeResponseSchema = /* @__PURE__ */ v.object({
  accepted: /* @__PURE__ */ v.boolean(),
  reason: /* @__PURE__ */ v.exactOptional(/* @__PURE__ */ v.string()),
  protocolVersion: positiveCount,
  serverId: /* @__PURE__ */ v.pipe(/* @__PURE__ */ v.string(), /* @__PURE__ */ v.minLength(1)),
  capabilities: /* @__PURE__ */ v.array(/* @__PURE__ */ v.string()),
  instanceKey,
});

export const PullRequestSchema = /* @__PURE__ */ v.strictObject({
  instanceId,
  instanceKey,
  cursor: count,
  batchSize: /* @__PURE__ */ v.pipe(positiveCount, /* @__PURE__ */ v.maxValue(MAX_BATCH_SIZE, `must be at most ${MAX_BATCH_SIZE}`)),
  collectives: /* @__PURE__ */ v.exactOptional(/* @__PURE__ */ v.pipe(/* @__PURE__ */ v.array(collective), /* @__PURE__ */ v.maxLength(MAX_PULL_COLLECTIVES))),
  withTotal: /* @__PURE__ */ v.exactOptional(/* @__PURE__ */ v.boolean()),
});

export const PullResponseSchema = /* @__PURE__ */ v.object({
  changes: /* @__PURE__ */ v.array(PulledChangeSchema),
  hasMore: /* @__PURE__ */ v.boolean(),
  newCursor: count,
  total: /* @__PURE__ */ v.exactOptional(count),
});

export const PushRequestSchema = /* @__PURE__ */ v.pipe(
  /* @__PURE__ */ v.strictObject({
    instanceId,
    instanceKey,
    policy: /* @__PURE__ */ v.picklist(['last-write-wins', 'server-wins']),
    changes: /* @__PURE__ */ v.array(SyncChangeSchema),
  }),
  /* @__PURE__ */ v.check(
    (req) => req.changes.every((c) => c.source === req.instanceId),
    'every change must have source equal to instanceId',
  ),
  /* @__PURE__ */ v.check(
    (req) => req.changes.every((c, i) => i === 0 || c.seq > (req.changes[i - 1] as SyncChange).seq),
    'changes must be in strictly increasing seq order',
  ),
);

const rejectReason = /* @__PURE__ */ v.picklist(['CONFLICT', 'FORBIDDEN', 'INVALID']);

export const PushResponseSchema = /* @__PURE__ */ v.object({
  accepted: count,
  ackedSeq: count,
  rejected: /* @__PURE__ */ v.array(
    /* @__PURE__ */ v.object({ seq: positiveCount, collective, id: recordId, reason: rejectReason, message: /* @__PURE__ */ v.string() }),
  ),
  conflicts: /* @__PURE__ */ v.array(
    /* @__PURE__ */ v.object({
      seq: positiveCount,
      collective,
      id: recordId,
      policy: /* @__PURE__ */ v.picklist(['last-write-wins', 'server-wins']),
      server: /* @__PURE__ */ v.nullable(PulledChangeSchema),
    }),
  ),
  newCursor: count,
});

export const HealthResponseSchema = /* @__PURE__ */ v.object({
  ok: /* @__PURE__ */ v.boolean(),
  protocolVersion: positiveCount,
  serverId: /* @__PURE__ */ v.string(),
});

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
 * before the schema walks them. (Kept apart from {@link parser} so that the worker,
 * which parses only answers, does not carry it.)
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
export const parsePulledChange: (input: unknown) => PulledChange = /* @__PURE__ */ parser('pulled change', PulledChangeSchema);
export const parseHandshakeRequest: (input: unknown) => HandshakeRequest = /* @__PURE__ */ requestParser('handshake request', HandshakeRequestSchema, [
  { field: 'capabilities', max: MAX_CAPABILITIES },
]);
export const parseHandshakeResponse: (input: unknown) => HandshakeResponse = /* @__PURE__ */ parser('handshake response', HandshakeResponseSchema);
export const parsePullRequest: (input: unknown) => PullRequest = /* @__PURE__ */ requestParser('pull request', PullRequestSchema, [
  { field: 'collectives', max: MAX_PULL_COLLECTIVES },
]);
export const parsePullResponse: (input: unknown) => PullResponse = /* @__PURE__ */ parser('pull response', PullResponseSchema);
export const parsePushRequest: (input: unknown) => PushRequest = /* @__PURE__ */ requestParser('push request', PushRequestSchema, [
  // A literal, not ErrorCode.PAYLOAD_TOO_LARGE: a bundler keeps a property read, and with it the schema.
  { field: 'changes', max: MAX_BATCH_SIZE, code: 'PAYLOAD_TOO_LARGE' },
]);
export const parsePushResponse: (input: unknown) => PushResponse = /* @__PURE__ */ parser('push response', PushResponseSchema);
export const parseHealthResponse: (input: unknown) => HealthResponse = /* @__PURE__ */ parser('health response', HealthResponseSchema);

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
  if (!isHlc(value)) {
    throw new SyncError(ErrorCode.INVALID_PAYLOAD, `${field} must be a hybrid logical clock timestamp, got ${describe(value)}`, {
      details: { field },
    });
  }
  if (isWithinDrift(value, nowMs, maxDriftMs)) return;
  const aheadMs = (parseHlc(value)?.wallMs ?? 0) - nowMs;
  throw new SyncError(
    ErrorCode.INVALID_PAYLOAD,
    `${field} is ${aheadMs} ms ahead of the clock checking it, more than the ${maxDriftMs} ms allowed: the writer's clock runs fast (set it right) or the timestamp is forged`,
    { details: { field, reason: 'clock-drift', hlc: value, aheadMs, maxDriftMs } },
  );
}

/** Checks a collective name from the public API; throws INVALID_PAYLOAD naming it. */
export function assertCollective(value: unknown, field = 'collective'): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_COLLECTIVE_LENGTH) {
    throw new SyncError(
      ErrorCode.INVALID_PAYLOAD,
      `${field} must be a non-empty string of at most ${MAX_COLLECTIVE_LENGTH} characters, got ${describe(value)}`,
    );
  }
}

/** Checks a record id from the public API; throws INVALID_PAYLOAD naming it. */
export function assertRecordId(value: unknown, field = 'id'): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RECORD_ID_LENGTH) {
    throw new SyncError(
      ErrorCode.INVALID_PAYLOAD,
      `${field} must be a non-empty string of at most ${MAX_RECORD_ID_LENGTH} characters, got ${describe(value)}`,
    );
  }
}

/** Checks a record value from the public API; throws INVALID_PAYLOAD naming it. */
export function assertJsonValue(value: unknown, field = 'value'): asserts value is JsonValue {
  if (!isJsonValue(value)) {
    throw new SyncError(
      ErrorCode.INVALID_PAYLOAD,
      `${field} must be a plain JSON value (null, boolean, finite number, string, array or plain object), got ${describe(value)}`,
    );
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return `a ${value.constructor?.name ?? 'null-prototype object'}`;
  return String(value);
}
