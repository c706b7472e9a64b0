import { describe, expect, it } from 'vitest';
import { HybridClock } from '../../src/clock/hlc.ts';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import { parsePushRequest, parsePullRequest } from '../../src/protocol/validate.ts';

const instanceId = '01936d6e-7b7a-7c3e-9a2b-4f5e6d7c8b9a';
const hlc = new HybridClock({ node: instanceId, now: () => 1_700_000_000_000 }).tick();

function change(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const merged: Record<string, unknown> = { seq: 1, source: instanceId, collective: 'notes', id: 'a', op: 'put', value: { t: 1 }, hlc, baseVersion: null, ...overrides };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  return merged;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof SyncError ? error.code : 'not a SyncError';
  }
  return undefined;
}

describe('wire validation', () => {
  it('accepts a well-formed push', () => {
    const req = parsePushRequest({ instanceId, policy: 'last-write-wins', changes: [change(), change({ seq: 2, op: 'delete', value: undefined })] });
    expect(req.changes).toHaveLength(2);
  });

  it('names the field that is wrong', () => {
    try {
      parsePushRequest({ instanceId, policy: 'last-write-wins', changes: [change({ collective: '' })] });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SyncError);
      expect((error as SyncError).code).toBe(ErrorCode.INVALID_PAYLOAD);
      expect((error as SyncError).message).toContain('changes.0.collective');
    }
  });

  it.each([
    ['an unknown op', change({ op: 'merge' })],
    ['a put without a value', change({ value: undefined })],
    ['a delete with a value', change({ op: 'delete' })],
    ['a change from another source', change({ source: '01936d6e-7b7a-7c3e-9a2b-000000000000' })],
    ['a non-JSON value', change({ value: new Date() })],
    ['NaN', change({ value: Number.NaN })],
    ['a malformed clock', change({ hlc: 'yesterday' })],
    ['an unknown field', change({ extra: 1 })],
  ])('refuses %s', (_name, bad) => {
    expect(codeOf(() => parsePushRequest({ instanceId, policy: 'last-write-wins', changes: [bad] }))).toBe(ErrorCode.INVALID_PAYLOAD);
  });

  it('refuses changes out of seq order', () => {
    expect(codeOf(() => parsePushRequest({ instanceId, policy: 'server-wins', changes: [change({ seq: 2 }), change({ seq: 1 })] }))).toBe(ErrorCode.INVALID_PAYLOAD);
  });

  it.each([0, -1, 1_000_000, 1.5])('refuses a pull batchSize of %s', (batchSize) => {
    expect(codeOf(() => parsePullRequest({ instanceId, cursor: 0, batchSize }))).toBe(ErrorCode.INVALID_PAYLOAD);
  });
});
