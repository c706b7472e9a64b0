/**
 * Engine configuration: the defaults (PulseDB's `SyncConfig::default()`) and the one
 * function that turns caller input into a checked {@link SyncConfig}.
 */
import { DEFAULT_MAX_CLOCK_DRIFT_MS } from '../clock/hlc.ts';
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { MAX_BATCH_SIZE, MAX_COLLECTIVE_LENGTH } from '../protocol/validate.ts';
import type { ConflictPolicy } from '../protocol/types.ts';
import type { ConflictResolver, RetryConfig, SyncConfig, SyncDirection } from './types.ts';

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

const DIRECTIONS: readonly SyncDirection[] = ['push-only', 'pull-only', 'bidirectional'];
const POLICIES: readonly ConflictPolicy[] = ['last-write-wins', 'server-wins'];
const CONFIG_KEYS = new Set([
  'direction',
  'conflictResolution',
  'resolver',
  'batchSize',
  'pushIntervalMs',
  'pullIntervalMs',
  'livePullIntervalMs',
  'retry',
  'collectives',
  'maxClockDriftMs',
]);
const RETRY_KEYS = new Set(['initialDelayMs', 'multiplier', 'maxDelayMs', 'maxRetries']);

function invalid(message: string, field: string): SyncError {
  return new SyncError(ErrorCode.INVALID_CONFIG, message, { details: { field } });
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejectUnknownKeys(input: Record<string, unknown>, known: ReadonlySet<string>, prefix: string): void {
  for (const key of Object.keys(input)) {
    if (!known.has(key)) {
      throw invalid(`${prefix}.${key} is not a configuration option (known: ${[...known].join(', ')})`, `${prefix}.${key}`);
    }
  }
}

function positiveInteger(value: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw invalid(`${field} must be a positive integer, got ${show(value)}`, field);
  }
  if (value > max) throw invalid(`${field} must be at most ${max}, got ${value}`, field);
  return value;
}

function nonNegativeInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`${field} must be a non-negative integer, got ${show(value)}`, field);
  }
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(`${field} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${show(value)}`, field);
  }
  return value as T;
}

function validateRetry(input: unknown): RetryConfig {
  if (input === undefined) return DEFAULT_RETRY_CONFIG;
  if (!isPlainObject(input)) throw invalid(`config.retry must be an object, got ${show(input)}`, 'config.retry');
  rejectUnknownKeys(input, RETRY_KEYS, 'config.retry');
  const d = DEFAULT_RETRY_CONFIG;
  const initialDelayMs = positiveInteger(input['initialDelayMs'] ?? d.initialDelayMs, 'config.retry.initialDelayMs', MAX_TIMER_DELAY_MS);
  const maxDelayMs = positiveInteger(input['maxDelayMs'] ?? d.maxDelayMs, 'config.retry.maxDelayMs', MAX_TIMER_DELAY_MS);
  const multiplier = input['multiplier'] ?? d.multiplier;
  if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 1) {
    throw invalid(`config.retry.multiplier must be a finite number of at least 1, got ${show(multiplier)}`, 'config.retry.multiplier');
  }
  const maxRetries = nonNegativeInteger(input['maxRetries'] ?? d.maxRetries, 'config.retry.maxRetries');
  if (maxDelayMs < initialDelayMs) {
    throw invalid(
      `config.retry.maxDelayMs (${maxDelayMs}) must not be less than config.retry.initialDelayMs (${initialDelayMs})`,
      'config.retry.maxDelayMs',
    );
  }
  return Object.freeze({ initialDelayMs, multiplier, maxDelayMs, maxRetries });
}

function validateCollectives(input: unknown): readonly string[] | undefined {
  if (input === undefined) return undefined;
  if (!Array.isArray(input)) {
    throw invalid(`config.collectives must be an array of collective names, got ${show(input)}`, 'config.collectives');
  }
  if (input.length === 0) {
    // An empty filter would sync nothing at all; leaving the option out means "all".
    throw invalid('config.collectives must not be empty (leave it out to sync every collective)', 'config.collectives');
  }
  const seen = new Set<string>();
  input.forEach((name: unknown, i) => {
    const field = `config.collectives[${i}]`;
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_COLLECTIVE_LENGTH) {
      throw invalid(`${field} must be a non-empty string of at most ${MAX_COLLECTIVE_LENGTH} characters, got ${show(name)}`, field);
    }
    if (seen.has(name)) throw invalid(`${field} repeats ${JSON.stringify(name)}`, field);
    seen.add(name);
  });
  return Object.freeze([...seen].sort());
}

/**
 * Checks caller input and fills in defaults. Throws a SyncError `INVALID_CONFIG` whose
 * message names the field, e.g. `config.batchSize must be a positive integer, got 0`.
 * Unknown keys are refused (a typo such as `pullInterval` would otherwise be ignored).
 * `collectives` comes back sorted and de-duplicated.
 */
export function validateConfig(input: unknown = {}): SyncConfig {
  if (input === undefined || input === null) input = {};
  if (!isPlainObject(input)) throw invalid(`config must be an object, got ${show(input)}`, 'config');
  rejectUnknownKeys(input, CONFIG_KEYS, 'config');
  const d = DEFAULT_SYNC_CONFIG;
  const resolver = input['resolver'];
  if (resolver !== undefined && typeof resolver !== 'function') {
    throw invalid(`config.resolver must be a function, got ${show(resolver)}`, 'config.resolver');
  }
  const collectives = validateCollectives(input['collectives']);
  const config: SyncConfig = {
    direction: oneOf(input['direction'] ?? d.direction, DIRECTIONS, 'config.direction'),
    conflictResolution: oneOf(input['conflictResolution'] ?? d.conflictResolution, POLICIES, 'config.conflictResolution'),
    batchSize: positiveInteger(input['batchSize'] ?? d.batchSize, 'config.batchSize', MAX_BATCH_SIZE),
    pushIntervalMs: positiveInteger(input['pushIntervalMs'] ?? d.pushIntervalMs, 'config.pushIntervalMs', MAX_TIMER_DELAY_MS),
    pullIntervalMs: positiveInteger(input['pullIntervalMs'] ?? d.pullIntervalMs, 'config.pullIntervalMs', MAX_TIMER_DELAY_MS),
    livePullIntervalMs: positiveInteger(input['livePullIntervalMs'] ?? d.livePullIntervalMs, 'config.livePullIntervalMs', MAX_TIMER_DELAY_MS),
    retry: validateRetry(input['retry']),
    // At most the default: the replica's own writes are stamped by a clock the store
    // bounds at the default (it knows no sync config), so a wider bound here would adopt
    // clocks the next local write drops again. Tightening it is what makes sense anyway.
    maxClockDriftMs: positiveInteger(input['maxClockDriftMs'] ?? d.maxClockDriftMs, 'config.maxClockDriftMs', DEFAULT_MAX_CLOCK_DRIFT_MS),
    ...(resolver === undefined ? {} : { resolver: resolver as ConflictResolver }),
    ...(collectives === undefined ? {} : { collectives }),
  };
  return Object.freeze(config);
}
