import { describe, expect, it } from 'vitest';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import { DEFAULT_SYNC_CONFIG, validateConfig } from '../../src/engine/config.ts';

function rejection(input: unknown): SyncError {
  try {
    validateConfig(input);
  } catch (error) {
    if (error instanceof SyncError) return error;
    throw error;
  }
  throw new Error(`validateConfig accepted ${JSON.stringify(input)}`);
}

describe('validateConfig', () => {
  it('fills every field a caller leaves out with the PulseDB defaults', () => {
    expect(validateConfig({})).toEqual(DEFAULT_SYNC_CONFIG);
    expect(validateConfig(undefined)).toEqual({
      direction: 'bidirectional',
      conflictResolution: 'last-write-wins',
      batchSize: 500,
      pullBatchSize: 2000,
      pushIntervalMs: 1000,
      pullIntervalMs: 1000,
      livePullIntervalMs: 30_000,
      retry: { initialDelayMs: 500, multiplier: 2, maxDelayMs: 30_000, maxRetries: 10 },
      maxClockDriftMs: 300_000,
    });
  });

  it('takes a tighter clock drift bound', () => {
    expect(validateConfig({ maxClockDriftMs: 60_000 }).maxClockDriftMs).toBe(60_000);
  });

  it('keeps what the caller gives, merging a partial retry config', () => {
    const config = validateConfig({ direction: 'pull-only', batchSize: 50, retry: { maxRetries: 3 }, collectives: ['todos', 'notes', 'notes2'] });
    expect(config.direction).toBe('pull-only');
    expect(config.batchSize).toBe(50);
    expect(config.retry).toEqual({ initialDelayMs: 500, multiplier: 2, maxDelayMs: 30_000, maxRetries: 3 });
    expect(config.collectives).toEqual(['notes', 'notes2', 'todos']);
  });

  it('takes null for a number or a string as left out, but refuses it for retry, resolver and collectives', () => {
    expect(validateConfig({ batchSize: null, direction: null, retry: { multiplier: null } })).toEqual(DEFAULT_SYNC_CONFIG);
    expect(rejection({ retry: null }).message).toBe('config.retry must be an object, got null');
    expect(rejection({ resolver: null }).message).toBe('config.resolver must be a function, got null');
    expect(rejection({ collectives: null }).message).toBe('config.collectives must be an array of collective names, got null');
  });

  it('names the field in details, and lists the known options when one is not', () => {
    expect(rejection({ retry: { maxRetries: 1.5 } }).details).toEqual({ field: 'config.retry.maxRetries' });
    expect(rejection({ retry: { maxDelayMs: 100 } }).details).toEqual({ field: 'config.retry.maxDelayMs' });
    expect(rejection({ collectives: ['a', 'a'] }).details).toEqual({ field: 'config.collectives[1]' });
    expect(rejection({ pullInterval: 1 }).message).toBe(
      'config.pullInterval is not a configuration option (known: direction, conflictResolution, batchSize, pullBatchSize, pushIntervalMs, pullIntervalMs, livePullIntervalMs, retry, maxClockDriftMs, resolver, collectives)',
    );
    expect(rejection({ retry: { initialDelay: 1 } }).message).toBe(
      'config.retry.initialDelay is not a configuration option (known: initialDelayMs, multiplier, maxDelayMs, maxRetries)',
    );
  });

  it.each([
    [{ batchSize: 0 }, 'config.batchSize must be a positive integer, got 0'],
    [{ batchSize: -5 }, 'config.batchSize must be a positive integer, got -5'],
    [{ batchSize: 2.5 }, 'config.batchSize must be a positive integer, got 2.5'],
    [{ batchSize: '500' }, 'config.batchSize must be a positive integer, got "500"'],
    [{ batchSize: 10_001 }, 'config.batchSize must be at most 10000, got 10001'],
    [{ pushIntervalMs: 0 }, 'config.pushIntervalMs must be a positive integer, got 0'],
    [{ pullIntervalMs: -1 }, 'config.pullIntervalMs must be a positive integer, got -1'],
    [{ pullIntervalMs: Number.NaN }, 'config.pullIntervalMs must be a positive integer, got NaN'],
    [{ direction: 'sideways' }, 'config.direction must be "push-only" or "pull-only" or "bidirectional", got "sideways"'],
    [{ conflictResolution: 'client-wins' }, 'config.conflictResolution must be "last-write-wins" or "server-wins" or "field-last-write-wins", got "client-wins"'],
    [{ pullInterval: 10 }, 'config.pullInterval is not a configuration option'],
    [{ retry: { initialDelay: 10 } }, 'config.retry.initialDelay is not a configuration option'],
    [{ retry: { initialDelayMs: 0 } }, 'config.retry.initialDelayMs must be a positive integer, got 0'],
    [{ retry: { multiplier: 0.5 } }, 'config.retry.multiplier must be a number >= 1, got 0.5'],
    [{ retry: { maxRetries: -1 } }, 'config.retry.maxRetries must be a non-negative integer, got -1'],
    [{ retry: { maxDelayMs: 100 } }, 'config.retry.maxDelayMs (100) must be >= initialDelayMs (500)'],
    [{ retry: 5 }, 'config.retry must be an object, got 5'],
    [{ collectives: 'notes' }, 'config.collectives must be an array of collective names, got "notes"'],
    [{ collectives: [] }, 'config.collectives must not be empty'],
    [{ collectives: ['notes', ''] }, 'config.collectives[1] must be a non-empty string'],
    [{ collectives: ['notes', 7] }, 'config.collectives[1] must be a non-empty string'],
    [{ collectives: ['notes', 'notes'] }, 'config.collectives[1] repeats "notes"'],
    [{ resolver: 'merge' }, 'config.resolver must be a function, got "merge"'],
    [{ pullIntervalMs: 2 ** 31 }, 'config.pullIntervalMs must be at most 2147483647, got 2147483648'],
    [{ retry: { maxDelayMs: 2 ** 31 } }, 'config.retry.maxDelayMs must be at most 2147483647, got 2147483648'],
    [{ maxClockDriftMs: 0 }, 'config.maxClockDriftMs must be a positive integer, got 0'],
    [{ maxClockDriftMs: Number.POSITIVE_INFINITY }, 'config.maxClockDriftMs must be a positive integer, got Infinity'],
    [{ maxClockDriftMs: 300_001 }, 'config.maxClockDriftMs must be at most 300000, got 300001'],
    [[], 'config must be an object, got an array'],
  ])('refuses %j with INVALID_CONFIG naming the field', (input, message) => {
    const error = rejection(input);
    expect(error.code).toBe(ErrorCode.INVALID_CONFIG);
    expect(error.message).toContain(message);
  });
});
