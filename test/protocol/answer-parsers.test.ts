import { describe, expect, it } from 'vitest';
import { HybridClock } from '../../src/clock/hlc.ts';
import { parseHandshakeResponse, parseHealthResponse, parsePullResponse, parsePushResponse } from '../../src/protocol/answer-parsers.ts';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import { parsePushRequest } from '../../src/protocol/validate.ts';
import { collectiveRule, MAX_BATCH_SIZE, MAX_CAPABILITIES, recordIdRule } from '../../src/protocol/wire-rules.ts';

const source = '01936d6e-7b7a-7c3e-9a2b-4f5e6d7c8b9a';
const hlc = new HybridClock({ node: source, now: () => 1_700_000_000_000 }).tick();

/** `base` with `overrides` applied; an override of `undefined` removes the key. */
function with_(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...base, ...overrides };
  for (const key of Object.keys(overrides)) if (overrides[key] === undefined) delete merged[key];
  return merged;
}

const put = { collective: 'notes', id: 'a', op: 'put', value: { t: 1 }, hlc, source, version: 3 };
const del = { collective: 'notes', id: 'b', op: 'delete', hlc, source, version: 4 };
const handshake = { accepted: true, protocolVersion: 1, serverId: 'srv', capabilities: ['live'], instanceKey: 'k1' };
const pull = { changes: [put, del], hasMore: false, newCursor: 4, total: 2 };
const push = {
  accepted: 1,
  ackedSeq: 2,
  rejected: [{ seq: 1, collective: 'notes', id: 'a', reason: 'FORBIDDEN', message: 'no' }],
  conflicts: [
    { seq: 2, collective: 'notes', id: 'b', policy: 'server-wins', server: put },
    { seq: 2, collective: 'notes', id: 'c', policy: 'last-write-wins', server: null },
  ],
  newCursor: 9,
};
const health = { ok: true, protocolVersion: 1, serverId: 'srv' };

/** The error `fn` throws, which must be a SyncError. */
function refusal(fn: () => unknown): SyncError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SyncError);
    return error as SyncError;
  }
  throw new Error('expected a refusal, got an answer');
}

describe('answer parsers', () => {
  it.each([
    ['a handshake', parseHandshakeResponse, handshake],
    ['a refused handshake with its reason and no key', parseHandshakeResponse, with_(handshake, { accepted: false, reason: 'old', instanceKey: undefined })],
    ['a pull with a put and a delete', parsePullResponse, pull],
    ['a pull without total', parsePullResponse, with_(pull, { total: undefined, changes: [] })],
    ['a push with rejections and conflicts', parsePushResponse, push],
    ['a health answer', parseHealthResponse, health],
  ] as const)('accepts %s as it came', (_name, parse, answer) => {
    expect(parse(answer)).toEqual(answer);
  });

  it('drops fields an answer does not define (a newer server may add some), but not in a pulled change', () => {
    expect(parseHealthResponse({ ...health, uptime: 5 })).toEqual(health);
    expect(parsePushResponse({ ...push, rejected: [{ ...push.rejected[0], hint: 'x' }] }).rejected[0]).toEqual(push.rejected[0]);
    expect(refusal(() => parsePullResponse({ ...pull, changes: [{ ...put, extra: 1 }] })).message).toBe(
      'Invalid pull response: changes.0.extra: is not a known field',
    );
  });

  it.each([
    ['not an object', parseHealthResponse, null, 'Invalid health response: must be an object'],
    ['a missing field', parseHealthResponse, with_(health, { ok: undefined }), 'Invalid health response: ok: is missing'],
    ['a field of the wrong type', parseHealthResponse, with_(health, { ok: 'yes' }), 'Invalid health response: ok: must be a boolean'],
    ['protocol version 0', parseHandshakeResponse, with_(handshake, { protocolVersion: 0 }), 'handshake response: protocolVersion: must be a positive safe integer'],
    ['an empty server id', parseHandshakeResponse, with_(handshake, { serverId: '' }), 'handshake response: serverId: must be a non-empty string'],
    ['an optional field present as undefined', parseHandshakeResponse, { ...handshake, reason: undefined }, 'handshake response: reason: must be a string'],
    ['a capability that is no string', parseHandshakeResponse, with_(handshake, { capabilities: ['live', 7] }), 'handshake response: capabilities.1: must be a string'],
    ['an oversized instance key', parseHandshakeResponse, with_(handshake, { instanceKey: 'k'.repeat(257) }), 'handshake response: instanceKey: must be a non-empty string of at most 256'],
    ['changes that are no array', parsePullResponse, with_(pull, { changes: {} }), 'pull response: changes: must be an array'],
    ['a hole in the changes', parsePullResponse, with_(pull, { changes: [put, , del] }), 'pull response: changes.1: must be an object'],
    ['a negative cursor', parsePullResponse, with_(pull, { newCursor: -1 }), 'pull response: newCursor: must be a non-negative safe integer'],
    ['a cursor past 2^53', parsePullResponse, with_(pull, { newCursor: 2 ** 53 }), 'pull response: newCursor: must be a non-negative safe integer'],
    ['a fractional total', parsePullResponse, with_(pull, { total: 1.5 }), 'pull response: total: must be a non-negative safe integer'],
    ['an empty collective', parsePullResponse, with_(pull, { changes: [with_(put, { collective: '' })] }), `pull response: changes.0.collective: ${collectiveRule.must}`],
    ['an oversized record id', parsePullResponse, with_(pull, { changes: [with_(put, { id: 'x'.repeat(513) })] }), 'pull response: changes.0.id: must be a non-empty string of at most 512'],
    ['an unknown op', parsePullResponse, with_(pull, { changes: [with_(put, { op: 'merge' })] }), 'pull response: changes.0.op: must be "put" or "delete"'],
    ['a put without a value', parsePullResponse, with_(pull, { changes: [with_(put, { value: undefined })] }), 'pull response: changes.0: a put needs a value'],
    ['a delete with a value', parsePullResponse, with_(pull, { changes: [with_(del, { value: 1 })] }), 'pull response: changes.0: a put needs a value and a delete must have none'],
    ['a non-JSON value', parsePullResponse, with_(pull, { changes: [with_(put, { value: new Date() })] }), 'pull response: changes.0.value: must be a plain JSON value'],
    ['a malformed clock', parsePullResponse, with_(pull, { changes: [with_(put, { hlc: 'yesterday' })] }), 'pull response: changes.0.hlc: must be a hybrid logical clock'],
    ['a source that is no UUID', parsePullResponse, with_(pull, { changes: [with_(put, { source: 'me' })] }), 'pull response: changes.0.source: must be a UUID'],
    ['version 0', parsePullResponse, with_(pull, { changes: [with_(put, { version: 0 })] }), 'pull response: changes.0.version: must be a positive safe integer'],
    ['an unknown reject reason', parsePushResponse, with_(push, { rejected: [{ ...push.rejected[0], reason: 'NOPE' }] }), 'push response: rejected.0.reason: must be "CONFLICT" or "FORBIDDEN" or "INVALID"'],
    ['a reject without message', parsePushResponse, with_(push, { rejected: [with_(push.rejected[0] as Record<string, unknown>, { message: undefined })] }), 'push response: rejected.0.message: is missing'],
    ['an unknown policy', parsePushResponse, with_(push, { conflicts: [{ ...push.conflicts[0], policy: 'mine' }] }), 'push response: conflicts.0.policy: must be "last-write-wins" or "server-wins"'],
    ['a malformed server state', parsePushResponse, with_(push, { conflicts: [{ ...push.conflicts[0], server: with_(put, { version: 'x' }) }] }), 'push response: conflicts.0.server.version: must be a positive'],
    ['a server state that is undefined, not null', parsePushResponse, with_(push, { conflicts: [{ ...push.conflicts[0], server: undefined }] }), 'push response: conflicts.0.server: must be an object'],
    ['too many capabilities', parseHandshakeResponse, with_(handshake, { capabilities: Array(MAX_CAPABILITIES + 1).fill('x') }), `handshake response: capabilities: holds ${MAX_CAPABILITIES + 1} items, at most ${MAX_CAPABILITIES}`],
  ] as const)('refuses %s with INVALID_PAYLOAD naming the path', (_name, parse, answer, message) => {
    const error = refusal(() => parse(answer));
    expect(error.code).toBe(ErrorCode.INVALID_PAYLOAD);
    expect(error.message).toContain(message);
  });

  it('names the refused path in details too, as the valibot parsers did', () => {
    const error = refusal(() => parsePullResponse(with_(pull, { changes: [put, with_(del, { id: '' })] })));
    expect(error.details).toEqual({ issues: [{ path: 'changes.1.id', message: recordIdRule.must }] });
    expect(refusal(() => parsePullResponse('nope')).details).toEqual({ issues: [{ path: null, message: 'must be an object' }] });
  });

  it('stops at the first issue', () => {
    const error = refusal(() => parsePushResponse(with_(push, { accepted: -1, newCursor: 'x', rejected: 5 })));
    expect(error.message).toBe('Invalid push response: accepted: must be a non-negative safe integer');
  });

  it('refuses an oversized list before looking at a single item of it', () => {
    // Every item is a getter that would fail the test if walked.
    const changes = new Array<unknown>(MAX_BATCH_SIZE + 1).fill(null);
    Object.defineProperty(changes, 0, { get: () => expect.unreachable('an item was walked') });
    const error = refusal(() => parsePullResponse(with_(pull, { changes })));
    expect(error.message).toBe(`Invalid pull response: changes: holds ${MAX_BATCH_SIZE + 1} items, at most ${MAX_BATCH_SIZE} are accepted`);
  });

  it('refuses a field with the same sentence as the request schemas do: one rule serves both', () => {
    const answer = refusal(() => parsePullResponse(with_(pull, { changes: [with_(put, { collective: 'c'.repeat(129) })] })));
    const request = refusal(() =>
      parsePushRequest({
        instanceId: source,
        policy: 'last-write-wins',
        changes: [{ seq: 1, source, collective: 'c'.repeat(129), id: 'a', op: 'put', value: 1, hlc, baseVersion: null }],
      }),
    );
    expect(answer.message).toBe(`Invalid pull response: changes.0.collective: ${collectiveRule.must}`);
    expect(request.message).toBe(`Invalid push request: changes.0.collective: ${collectiveRule.must}`);
  });
});
