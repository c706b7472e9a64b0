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
/** Largest `batchSize` a pull may ask for. */
export const MAX_BATCH_SIZE = 10_000;

const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const positiveCount = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
const collective = v.pipe(
  v.string(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(MAX_COLLECTIVE_LENGTH, `must be at most ${MAX_COLLECTIVE_LENGTH} characters`),
);
const recordId = v.pipe(
  v.string(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(MAX_RECORD_ID_LENGTH, `must be at most ${MAX_RECORD_ID_LENGTH} characters`),
);
const instanceId = v.pipe(
  v.string(),
  v.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID'),
);
const hlc = v.custom<string>(isHlc, 'must be a hybrid logical clock timestamp');
const jsonValue = v.custom<JsonValue>(isJsonValue, 'must be a plain JSON value');
const op = v.picklist(['put', 'delete'], 'must be "put" or "delete"');

/**
 * A put carries a value, a delete none. A guard, not a check, so the parsed type is
 * the {@link RecordState} union the rest of the code narrows on.
 */
function valueMatchesOp<T extends { op: string; value?: JsonValue }>(change: T): change is T & RecordState {
  return change.op === 'put' ? change.value !== undefined : change.value === undefined;
}

export const SyncChangeSchema = v.pipe(
  v.strictObject({
    seq: positiveCount,
    source: instanceId,
    collective,
    id: recordId,
    op,
    value: v.exactOptional(jsonValue),
    hlc,
    baseVersion: v.nullable(count),
  }),
  v.guard(valueMatchesOp, 'a put needs a value and a delete must have none'),
);

export const PulledChangeSchema = v.pipe(
  v.strictObject({
    collective,
    id: recordId,
    op,
    value: v.exactOptional(jsonValue),
    hlc,
    source: instanceId,
    version: positiveCount,
  }),
  v.guard(valueMatchesOp, 'a put needs a value and a delete must have none'),
);

export const HandshakeRequestSchema = v.strictObject({
  instanceId,
  protocolVersion: positiveCount,
  capabilities: v.array(v.pipe(v.string(), v.maxLength(64))),
});

export const HandshakeResponseSchema = v.object({
  accepted: v.boolean(),
  reason: v.exactOptional(v.string()),
  protocolVersion: positiveCount,
  serverId: v.pipe(v.string(), v.minLength(1)),
  capabilities: v.array(v.string()),
});

export const PullRequestSchema = v.strictObject({
  instanceId,
  cursor: count,
  batchSize: v.pipe(positiveCount, v.maxValue(MAX_BATCH_SIZE, `must be at most ${MAX_BATCH_SIZE}`)),
  collectives: v.exactOptional(v.pipe(v.array(collective), v.maxLength(1000))),
  withTotal: v.exactOptional(v.boolean()),
});

export const PullResponseSchema = v.object({
  changes: v.array(PulledChangeSchema),
  hasMore: v.boolean(),
  newCursor: count,
  total: v.exactOptional(count),
});

export const PushRequestSchema = v.pipe(
  v.strictObject({
    instanceId,
    policy: v.picklist(['last-write-wins', 'server-wins']),
    changes: v.array(SyncChangeSchema),
  }),
  v.check(
    (req) => req.changes.every((c) => c.source === req.instanceId),
    'every change must have source equal to instanceId',
  ),
  v.check(
    (req) => req.changes.every((c, i) => i === 0 || c.seq > (req.changes[i - 1] as SyncChange).seq),
    'changes must be in strictly increasing seq order',
  ),
);

const rejectReason = v.picklist(['CONFLICT', 'FORBIDDEN', 'INVALID']);

export const PushResponseSchema = v.object({
  accepted: count,
  ackedSeq: count,
  rejected: v.array(
    v.object({ seq: positiveCount, collective, id: recordId, reason: rejectReason, message: v.string() }),
  ),
  conflicts: v.array(
    v.object({
      seq: positiveCount,
      collective,
      id: recordId,
      policy: v.picklist(['last-write-wins', 'server-wins']),
      server: v.nullable(PulledChangeSchema),
    }),
  ),
  newCursor: count,
});

export const HealthResponseSchema = v.object({
  ok: v.boolean(),
  protocolVersion: positiveCount,
  serverId: v.string(),
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

function parser<S extends v.GenericSchema>(what: string, schema: S): (input: unknown) => v.InferOutput<S> {
  return (input) => {
    const result = v.safeParse(schema, input, { abortPipeEarly: true });
    if (result.success) return result.output;
    throw new SyncError(ErrorCode.INVALID_PAYLOAD, describeIssues(what, result.issues), {
      details: { issues: result.issues.slice(0, 3).map((i) => ({ path: v.getDotPath(i), message: i.message })) },
    });
  };
}

// The explicit return types tie each schema to its hand-written interface: a drift
// between the two fails to compile.
export const parseSyncChange: (input: unknown) => SyncChange = parser('change', SyncChangeSchema);
export const parsePulledChange: (input: unknown) => PulledChange = parser('pulled change', PulledChangeSchema);
export const parseHandshakeRequest: (input: unknown) => HandshakeRequest = parser('handshake request', HandshakeRequestSchema);
export const parseHandshakeResponse: (input: unknown) => HandshakeResponse = parser('handshake response', HandshakeResponseSchema);
export const parsePullRequest: (input: unknown) => PullRequest = parser('pull request', PullRequestSchema);
export const parsePullResponse: (input: unknown) => PullResponse = parser('pull response', PullResponseSchema);
export const parsePushRequest: (input: unknown) => PushRequest = parser('push request', PushRequestSchema);
export const parsePushResponse: (input: unknown) => PushResponse = parser('push response', PushResponseSchema);
export const parseHealthResponse: (input: unknown) => HealthResponse = parser('health response', HealthResponseSchema);

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
