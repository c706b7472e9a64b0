/**
 * The parsers of the server's answers (handshake, push, pull, health), written by hand
 * rather than with valibot. The worker parses nothing else, and for four fixed shapes
 * valibot cost it ~7.8 KB minified (~1.3 KB brotli) of a 25 KB budget. The rules of
 * single fields are the ones the server's request schemas use (`wire-rules.ts`);
 * refusals read as valibot's did: `Invalid <what>: <path>: <issue>`, code
 * `INVALID_PAYLOAD`, stopping at the first issue, and a list's length is checked
 * before a single item of it is looked at.
 *
 * As with valibot's `object`, an answer's unknown fields are dropped (a newer server
 * may add some), except in a pulled change, which is strict like the request's.
 */
import { ErrorCode, SyncError } from './errors.ts';
import { FIELDS_BUILT } from './fields-built.ts';
import type { ChangeOp, FieldStamp, HandshakeResponse, HealthResponse, JsonValue, PulledChange, PullResponse, PushResponse, RejectReason } from './types.ts';
import {
  collectiveRule,
  countRule,
  hlcRule,
  instanceKeyRule,
  jsonValueRule,
  MAX_BATCH_SIZE,
  MAX_CAPABILITIES,
  MAX_RECORD_FIELDS,
  nonEmptyStringRule,
  oneOf,
  opRule,
  policyRule,
  positiveCountRule,
  recordIdRule,
  uuidRule,
  VALUE_MATCHES_OP_MUST,
  valueMatchesOp,
  type WireRule,
} from './wire-rules.ts';

/** Where a parser is: what is parsed, then the keys and indexes down to the value. */
export type Path = (string | number)[];
/** Parses the value at `path` or throws; `path` is pushed to and popped back, never kept. */
export type Field<T> = (value: unknown, path: Path) => T;
/** Per key of `T`, the parser of its value. */
type Shape<T> = { readonly [K in keyof T]-?: Field<T[K]> };
/** The keys `T` may lack. */
type OptionalKey<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

/** Throws `INVALID_PAYLOAD`: the value at `path` is not what it `must` be. */
export function refuse(path: Path, must: string): never {
  const [what, ...keys] = path;
  const at = keys.length === 0 ? null : keys.join('.');
  throw new SyncError(ErrorCode.INVALID_PAYLOAD, `Invalid ${what}: ${at === null ? '' : `${at}: `}${must}`, {
    details: { issues: [{ path: at, message: must }] },
  });
}

/** Refuses the value at `key` of `path`. */
function refuseAt(path: Path, key: string, must: string): never {
  path.push(key);
  return refuse(path, must);
}

/** Parses the value at `key` of `path` with `field`. */
function at<T>(field: Field<T>, value: unknown, path: Path, key: string | number): T {
  path.push(key);
  const parsed = field(value, path);
  path.pop();
  return parsed;
}

/** The parser of values `rule` allows. */
export function is<T>({ test, must }: WireRule<T>): Field<T> {
  return (value, path) => (test(value) ? value : refuse(path, must));
}

const string = is({ test: (value): value is string => typeof value === 'string', must: 'must be a string' });
const boolean = is({ test: (value): value is boolean => typeof value === 'boolean', must: 'must be a boolean' });
const count = is(countRule);
export const positiveCount = is(positiveCountRule);
const collective = is(collectiveRule);
const recordId = is(recordIdRule);
const hlc = is(hlcRule);

/** The parser of a list of at most `max` items, each parsed by `item`. */
export function list<T>(item: Field<T>, max: number): Field<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) return refuse(path, 'must be an array');
    // Before any item is looked at: refusing 7 million of them must not walk them (issue 11, finding 3).
    if (value.length > max) return refuse(path, `holds ${value.length} items, at most ${max} are accepted`);
    const parsed: T[] = [];
    // An index loop, not `map`: a hole is an undefined item to refuse, not one to skip.
    for (let i = 0; i < value.length; i++) parsed.push(at(item, value[i], path, i));
    return parsed;
  };
}

/**
 * An object with exactly the keys of `shape`, in its order; a key in `optional` may be
 * absent (but not `undefined`). `strict` refuses keys the shape does not name; without
 * it they are dropped.
 */
export function object<T>(shape: Shape<T>, optional: readonly OptionalKey<T>[] = [], strict = false): Field<T> {
  return (value, path) => {
    if (typeof value !== 'object' || value === null) return refuse(path, 'must be an object');
    const input = value as Record<string, unknown>;
    const parsed: Record<string, unknown> = {};
    for (const key in shape) {
      if (key in input) parsed[key] = at(shape[key] as Field<unknown>, input[key], path, key);
      else if (!(optional as readonly string[]).includes(key)) refuseAt(path, key, 'is missing');
    }
    if (strict) for (const key in input) if (!Object.hasOwn(shape, key)) refuseAt(path, key, 'is not a known field');
    return parsed as T;
  };
}

/** A pulled change before its op and value are known to agree (not yet the union). */
type PulledChangeFields = Omit<PulledChange, 'op' | 'value'> & { readonly op: ChangeOp; readonly value?: JsonValue };

const pulledChangeFields = object<PulledChangeFields>(
    {
      collective,
      id: recordId,
      op: is(opRule),
      value: is(jsonValueRule),
      hlc,
      source: is(uuidRule),
      version: positiveCount,
      // The clock of this replica's own write the change overruled unseen: one clock,
      // only ever sent to the replica it names (`PulledChange.over`).
      over: hlc,
      // Stamps come only to a replica that asks for them (`PullRequest.fields`, under
      // field-last-write-wins). As far as this parser looks, each is a JSON value: those
      // replicas check each whole (`stamp-parser.ts`) before they merge with it. The
      // prebuilt default worker never asks, and parses none (see FIELDS_BUILT).
      ...((FIELDS_BUILT && { fields: list(is(jsonValueRule) as Field<unknown> as Field<FieldStamp>, MAX_RECORD_FIELDS) }) as { fields: Field<readonly FieldStamp[] | undefined> }),
    },
    FIELDS_BUILT ? ['value', 'over', 'fields'] : ['value', 'over'],
    true,
  );

const pulledChange: Field<PulledChange> = (value, path) => {
  const change = pulledChangeFields(value, path);
  return valueMatchesOp(change) ? change : refuse(path, VALUE_MATCHES_OP_MUST);
};

function answerParser<T>(what: string, shape: Shape<T>, optional?: readonly OptionalKey<T>[]): (input: unknown) => T {
  const field = object(shape, optional);
  return (input) => field(input, [what]);
}

/** Parses a handshake answer; throws `INVALID_PAYLOAD` naming the first wrong field. */
export const parseHandshakeResponse: (input: unknown) => HandshakeResponse = /* @__PURE__ */ answerParser<HandshakeResponse>(
  'handshake response',
  {
    accepted: boolean,
    reason: string,
    protocolVersion: positiveCount,
    serverId: is(nonEmptyStringRule),
    capabilities: list(string, MAX_CAPABILITIES),
    instanceKey: is(instanceKeyRule),
  },
  ['reason', 'instanceKey'],
);

/** Parses a pull answer; throws `INVALID_PAYLOAD` naming the first wrong field. */
export const parsePullResponse: (input: unknown) => PullResponse = /* @__PURE__ */ answerParser<PullResponse>(
  'pull response',
  { changes: list(pulledChange, MAX_BATCH_SIZE), hasMore: boolean, newCursor: count, total: count, snapshotMark: count, collectives: list(collective, MAX_BATCH_SIZE) },
  ['total', 'snapshotMark', 'collectives'],
);

/** Parses a push answer; throws `INVALID_PAYLOAD` naming the first wrong field. */
export const parsePushResponse: (input: unknown) => PushResponse = /* @__PURE__ */ answerParser<PushResponse>('push response', {
  accepted: count,
  ackedSeq: count,
  // A push carries at most MAX_BATCH_SIZE changes, so its answer names at most as many.
  rejected: list(
    object({
      seq: positiveCount,
      collective,
      id: recordId,
      reason: is(oneOf<RejectReason>('CONFLICT', 'FORBIDDEN', 'INVALID')),
      message: string,
    }),
    MAX_BATCH_SIZE,
  ),
  conflicts: list(
    object({
      seq: positiveCount,
      collective,
      id: recordId,
      policy: is(policyRule),
      server: (value, path) => (value === null ? null : pulledChange(value, path)),
    }),
    MAX_BATCH_SIZE,
  ),
  newCursor: count,
});

/** Parses a health answer; throws `INVALID_PAYLOAD` naming the first wrong field. */
export const parseHealthResponse: (input: unknown) => HealthResponse = /* @__PURE__ */ answerParser<HealthResponse>('health response', {
  ok: boolean,
  protocolVersion: positiveCount,
  serverId: string,
});
