/**
 * Engine configuration: the defaults (PulseDB's `SyncConfig::default()`) and the one
 * function that turns caller input into a checked {@link SyncConfig}.
 */
import { DEFAULT_MAX_CLOCK_DRIFT_MS } from '../clock/hlc.ts';
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { MAX_BATCH_SIZE } from '../protocol/validate.ts';
import { collectiveRule, oneOf, policyRule, type WireRule } from '../protocol/wire-rules.ts';
import type { RetryConfig, SyncConfig, SyncDirection } from './types.ts';

/** PulseDB's `RetryConfig::default()`: 500 ms, doubling, capped at 30 s, exhausted after 10. */
export const DEFAULT_RETRY_CONFIG: RetryConfig = Object.freeze({
  initialDelayMs: 500,
  multiplier: 2,
  maxDelayMs: 30_000,
  maxRetries: 10,
});

/** The configuration used for every field a caller leaves out. */
export const DEFAULT_SYNC_CONFIG: SyncConfig = Object.freeze({
  direction: 'bidirectional',
  conflictResolution: 'last-write-wins',
  batchSize: 500,
  pullBatchSize: 2000,
  pushIntervalMs: 1000,
  pullIntervalMs: 1000,
  livePullIntervalMs: 30_000,
  retry: DEFAULT_RETRY_CONFIG,
  maxClockDriftMs: DEFAULT_MAX_CLOCK_DRIFT_MS,
});

/**
 * The longest delay a timer keeps: `setTimeout` stores it in 32 bits and fires a longer
 * one after 1 ms instead, so a longer interval or backoff would become a hot loop.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

function invalid(message: string, field: string): SyncError {
  return new SyncError(ErrorCode.INVALID_CONFIG, message, { details: { field } });
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

/** Throws `INVALID_CONFIG` "`field` `must`, got `value`" unless `ok`. */
function check(ok: boolean, field: string, must: string, value: unknown): void {
  if (!ok) throw invalid(`${field} ${must}, got ${show(value)}`, field);
}

/** Checks the value of `field` (given or its default) and returns what the config keeps. */
type FieldCheck = (value: unknown, field: string) => unknown;

/** An integer from `min` to `max`. */
function integer(min: number, max: number): FieldCheck {
  return (value, field) => {
    check(Number.isSafeInteger(value) && (value as number) >= min, field, `must be a ${min > 0 ? 'positive' : 'non-negative'} integer`, value);
    check((value as number) <= max, field, `must be at most ${max}`, value);
    return value;
  };
}

/** A value `rule` allows (its words are the wire's: the config and the wire never disagree on a policy). */
function obeys(rule: WireRule<unknown>): FieldCheck {
  return (value, field) => {
    check(rule.test(value), field, rule.must, value);
    return value;
  };
}

/**
 * An object of the fields of `checks` only (a typo is refused, not ignored), each
 * given or its default in `defaults`, checked in order; fields without a value are left out.
 */
function fields(checks: Readonly<Record<string, FieldCheck>>, defaults: object): FieldCheck {
  return (input, field) => {
    check(typeof input === 'object' && input !== null && !Array.isArray(input), field, 'must be an object', input);
    const known = Object.keys(checks);
    for (const key of Object.keys(input as object)) {
      if (!known.includes(key)) throw invalid(`${field}.${key} is not a configuration option (known: ${known.join(', ')})`, `${field}.${key}`);
    }
    const checked: Record<string, unknown> = {};
    for (const key of known) {
      const given = (input as Record<string, unknown>)[key];
      const fallback = (defaults as Record<string, unknown>)[key];
      // null leaves a number or a string at its default, as if left out; an object
      // (retry) or an option without default (resolver, collectives) is checked, so refused.
      const value = given === undefined || (given === null && typeof fallback !== 'object' && fallback !== undefined) ? fallback : given;
      if (value !== undefined) checked[key] = checks[key]!(value, `${field}.${key}`);
    }
    return Object.freeze(checked);
  };
}

const timerDelay = /* @__PURE__ */ integer(1, MAX_TIMER_DELAY_MS);
const batchSize = /* @__PURE__ */ integer(1, MAX_BATCH_SIZE);

const retryFields = /* @__PURE__ */ fields(
  {
    initialDelayMs: timerDelay,
    multiplier: (value, field) => {
      check(Number.isFinite(value) && (value as number) >= 1, field, 'must be a number >= 1', value);
      return value;
    },
    maxDelayMs: timerDelay,
    maxRetries: /* @__PURE__ */ integer(0, Infinity),
  },
  DEFAULT_RETRY_CONFIG,
);

const configFields = /* @__PURE__ */ fields(
  {
    direction: /* @__PURE__ */ obeys(/* @__PURE__ */ oneOf<SyncDirection>('push-only', 'pull-only', 'bidirectional')),
    // The prebuilt default worker has no field-level records: the rule refuses their policy there (see FIELDS_BUILT).
    conflictResolution: /* @__PURE__ */ obeys(policyRule),
    batchSize: batchSize,
    pullBatchSize: batchSize,
    pushIntervalMs: timerDelay,
    pullIntervalMs: timerDelay,
    livePullIntervalMs: timerDelay,
    retry: (value, field) => {
      const retry = retryFields(value, field) as RetryConfig;
      if (retry.maxDelayMs < retry.initialDelayMs) {
        throw invalid(`${field}.maxDelayMs (${retry.maxDelayMs}) must be >= initialDelayMs (${retry.initialDelayMs})`, `${field}.maxDelayMs`);
      }
      return retry;
    },
    // At most the default: the replica's own writes are stamped by a clock the store
    // bounds at the default (it knows no sync config), so a wider bound here would adopt
    // clocks the next local write drops again. Tightening it is what makes sense anyway.
    maxClockDriftMs: /* @__PURE__ */ integer(1, DEFAULT_MAX_CLOCK_DRIFT_MS),
    resolver: (value, field) => {
      check(typeof value === 'function', field, 'must be a function', value);
      return value;
    },
    collectives: (value, field) => {
      check(Array.isArray(value), field, 'must be an array of collective names', value);
      const names = value as unknown[];
      // An empty filter would sync nothing at all; leaving the option out means "all".
      if (names.length === 0) throw invalid(`${field} must not be empty (leave it out to sync all)`, field);
      const seen = new Set<string>();
      names.forEach((name, i) => {
        const at = `${field}[${i}]`;
        check(collectiveRule.test(name), at, collectiveRule.must, name);
        if (seen.has(name as string)) throw invalid(`${at} repeats ${JSON.stringify(name)}`, at);
        seen.add(name as string);
      });
      return Object.freeze([...seen].sort());
    },
  },
  DEFAULT_SYNC_CONFIG,
);

/**
 * Checks caller input and fills in defaults. Throws a SyncError `INVALID_CONFIG` whose
 * message names the field, e.g. `config.batchSize must be a positive integer, got 0`.
 * Unknown keys are refused (a typo such as `pullInterval` would otherwise be ignored).
 * `collectives` comes back sorted and de-duplicated.
 */
export function validateConfig(input: unknown = {}): SyncConfig {
  const given = (input ?? {}) as { batchSize?: unknown; pullBatchSize?: unknown };
  const config = configFields(given, 'config') as SyncConfig;
  // An app that sets only batchSize keeps its pulls that size too, as before pullBatchSize.
  return given.pullBatchSize == null && given.batchSize != null ? Object.freeze({ ...config, pullBatchSize: config.batchSize }) : config;
}
