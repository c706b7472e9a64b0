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
const POLICIES: readonly ConflictPolicy[] = ['last-write-wins', 'server-wins', 'field-last-write-wins'];

/** The integer fields: the least and the greatest value each takes. */
type Bounds = Readonly<Record<string, readonly [number, number]>>;
const CONFIG_BOUNDS: Bounds = {
  batchSize: [1, MAX_BATCH_SIZE],
  pushIntervalMs: [1, MAX_TIMER_DELAY_MS],
  pullIntervalMs: [1, MAX_TIMER_DELAY_MS],
  livePullIntervalMs: [1, MAX_TIMER_DELAY_MS],
  // At most the default: the replica's own writes are stamped by a clock the store
  // bounds at the default (it knows no sync config), so a wider bound here would adopt
  // clocks the next local write drops again. Tightening it is what makes sense anyway.
  maxClockDriftMs: [1, DEFAULT_MAX_CLOCK_DRIFT_MS],
};
const RETRY_BOUNDS: Bounds = {
  initialDelayMs: [1, MAX_TIMER_DELAY_MS],
  maxDelayMs: [1, MAX_TIMER_DELAY_MS],
  maxRetries: [0, Number.POSITIVE_INFINITY],
};

function invalid(message: string, field: string): SyncError {
  return new SyncError(ErrorCode.INVALID_CONFIG, message, { details: { field } });
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

/** `input` as an object of known keys only (the keys of `defaults`, and `extra`): a typo is refused, not ignored. */
function knownKeys(input: unknown, defaults: object, field: string, extra: readonly string[] = []): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid(`${field} must be an object, got ${show(input)}`, field);
  const known = [...Object.keys(defaults), ...extra];
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) throw invalid(`${field}.${key} is not a configuration option (known: ${known.join(', ')})`, `${field}.${key}`);
  }
  return input as Record<string, unknown>;
}

/** The integer fields of `bounds`, each given or its default, checked. */
function integers(input: Record<string, unknown>, defaults: object, bounds: Bounds, prefix: string): Record<string, number> {
  const checked: Record<string, number> = {};
  for (const [key, [min, max]] of Object.entries(bounds)) {
    const field = `${prefix}.${key}`;
    const value = input[key] ?? (defaults as Record<string, unknown>)[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw invalid(`${field} must be a ${min > 0 ? 'positive' : 'non-negative'} integer, got ${show(value)}`, field);
    }
    if (value > max) throw invalid(`${field} must be at most ${max}, got ${value}`, field);
    checked[key] = value;
  }
  return checked;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(`${field} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${show(value)}`, field);
  }
  return value as T;
}

function validateRetry(input: unknown): RetryConfig {
  if (input === undefined) return DEFAULT_RETRY_CONFIG;
  const given = knownKeys(input, DEFAULT_RETRY_CONFIG, 'config.retry');
  const retry = integers(given, DEFAULT_RETRY_CONFIG, RETRY_BOUNDS, 'config.retry') as Omit<RetryConfig, 'multiplier'>;
  const multiplier = given['multiplier'] ?? DEFAULT_RETRY_CONFIG.multiplier;
  if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 1) {
    throw invalid(`config.retry.multiplier must be a number >= 1, got ${show(multiplier)}`, 'config.retry.multiplier');
  }
  if (retry.maxDelayMs < retry.initialDelayMs) {
    throw invalid(`config.retry.maxDelayMs (${retry.maxDelayMs}) must be >= initialDelayMs (${retry.initialDelayMs})`, 'config.retry.maxDelayMs');
  }
  return Object.freeze({ ...retry, multiplier });
}

function validateCollectives(input: unknown): readonly string[] | undefined {
  if (input === undefined) return undefined;
  if (!Array.isArray(input)) {
    throw invalid(`config.collectives must be an array of collective names, got ${show(input)}`, 'config.collectives');
  }
  if (input.length === 0) {
    // An empty filter would sync nothing at all; leaving the option out means "all".
    throw invalid('config.collectives must not be empty (leave it out to sync all)', 'config.collectives');
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
  const d = DEFAULT_SYNC_CONFIG;
  const given = knownKeys(input ?? {}, d, 'config', ['resolver', 'collectives']);
  const resolver = given['resolver'];
  if (resolver !== undefined && typeof resolver !== 'function') {
    throw invalid(`config.resolver must be a function, got ${show(resolver)}`, 'config.resolver');
  }
  const collectives = validateCollectives(given['collectives']);
  return Object.freeze({
    direction: oneOf(given['direction'] ?? d.direction, DIRECTIONS, 'config.direction'),
    conflictResolution: oneOf(given['conflictResolution'] ?? d.conflictResolution, POLICIES, 'config.conflictResolution'),
    ...(integers(given, d, CONFIG_BOUNDS, 'config') as Pick<SyncConfig, 'batchSize' | 'pushIntervalMs' | 'pullIntervalMs' | 'livePullIntervalMs' | 'maxClockDriftMs'>),
    retry: validateRetry(given['retry']),
    ...(resolver === undefined ? {} : { resolver: resolver as ConflictResolver }),
    ...(collectives === undefined ? {} : { collectives }),
  });
}
