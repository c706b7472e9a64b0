/** The stable error codes and SyncError's plain-data round trip. */
import { describe, expect, it } from 'vitest';
import { ErrorCode, SyncError, isErrorCode, isSyncError, isSyncErrorData } from '../../src/protocol/errors.ts';

describe('ErrorCode', () => {
  it('holds exactly the stable codes, in the order they were added, each its own name', () => {
    // A code is never renamed or dropped and new ones go at the end: this list only grows.
    expect(Object.keys(ErrorCode)).toEqual([
      'HANDSHAKE_REJECTED',
      'PROTOCOL_VERSION',
      'TRANSPORT',
      'TIMEOUT',
      'INVALID_PAYLOAD',
      'INVALID_CONFIG',
      'UNAUTHORIZED',
      'FORBIDDEN',
      'PAYLOAD_TOO_LARGE',
      'RATE_LIMITED',
      'CONFLICT',
      'CURSOR_AHEAD',
      'QUOTA_EXCEEDED',
      'DATABASE_CLOSED',
      'DATABASE_BLOCKED',
      'STORAGE',
      'ALREADY_STARTED',
      'SHUTDOWN',
      'VERSION_MISMATCH',
      'NOT_FOUND',
      'INTERNAL',
      'INVALID_RESPONSE',
      'INSTANCE_FORBIDDEN',
      'INSTANCE_CLONED',
      'NOT_PERSISTED',
      'CURSOR_EXPIRED',
      'PENDING_WRITES',
    ]);
    for (const [name, code] of Object.entries(ErrorCode)) expect(code).toBe(name);
  });

  it('knows its codes and nothing else', () => {
    for (const code of Object.values(ErrorCode)) expect(isErrorCode(code)).toBe(true);
    for (const other of ['', 'transport', 'HANDSHAKE_REJECTED PROTOCOL_VERSION', 'toString', 7, undefined]) expect(isErrorCode(other)).toBe(false);
  });
});

describe('SyncError', () => {
  it('crosses as plain data and is rebuilt with its code, message and details', () => {
    const error = new SyncError(ErrorCode.RATE_LIMITED, 'slow down', { details: { retryAfterMs: 5 } });
    const data = JSON.parse(JSON.stringify(error)) as unknown;
    expect(data).toEqual({ code: 'RATE_LIMITED', message: 'slow down', details: { retryAfterMs: 5 } });
    expect(isSyncErrorData(data)).toBe(true);
    const rebuilt = SyncError.from(data);
    expect(isSyncError(rebuilt, ErrorCode.RATE_LIMITED)).toBe(true);
    expect(rebuilt.message).toBe('slow down');
    expect(rebuilt.details).toEqual({ retryAfterMs: 5 });
    expect('cause' in rebuilt).toBe(false);
  });

  it('has a cause only when given one (undefined too), and keeps details out of Error', () => {
    expect('cause' in new SyncError(ErrorCode.STORAGE, 'x', { details: { a: 1 } })).toBe(false);
    expect(Object.hasOwn(new SyncError(ErrorCode.STORAGE, 'x', { cause: undefined }), 'cause')).toBe(true);
    const error = new SyncError(ErrorCode.STORAGE, 'x', { cause: 'why', details: { a: 1 } });
    expect([error.cause, error.details, error.name, error.message]).toEqual(['why', { a: 1 }, 'SyncError', 'x']);
    expect(Object.keys(error)).toEqual(['name', 'code', 'details']);
  });

  it('wraps anything else under the fallback code, keeping it as the cause', () => {
    const thrown = new TypeError('boom');
    const wrapped = SyncError.from(thrown, ErrorCode.STORAGE);
    expect(wrapped.code).toBe(ErrorCode.STORAGE);
    expect(wrapped.message).toBe('boom');
    expect(wrapped.cause).toBe(thrown);
    expect(SyncError.from('text').code).toBe(ErrorCode.INTERNAL);
    expect(isSyncErrorData({ code: 'NOPE', message: 'x' })).toBe(false);
  });
});
