/**
 * Pushes with one part spoiled. Most are refused whole (400 or 413); those the schema
 * accepts but no store may keep, or whose clock runs too far ahead, are refused change
 * by change (200, `INVALID`), and a reader's writes `FORBIDDEN`. Either way nothing of
 * them is stored.
 */
import { formatHlc } from '../../../../src/clock/hlc.ts';
import { newInstanceId } from '../wire-messages.ts';
import { deeplyNested, NOW, postJson, pushOne, pushWith, READER_TOKEN, validChange, type HostileCase } from './requests.ts';

const invalid = (name: string, request: () => Request): HostileCase => ({ name, request, status: 400, code: 'INVALID_PAYLOAD' });
const refusedChange = (name: string, request: () => Request, code = 'INVALID'): HostileCase => ({ name, request, status: 200, code });

function without(change: Record<string, unknown>, field: string): Record<string, unknown> {
  const copy = { ...change };
  delete copy[field];
  return copy;
}

/** A push of `changes(source)` from a fresh source. */
function pushMany(changes: (source: string) => unknown[]): Request {
  const source = newInstanceId();
  return postJson('push', { instanceId: source, policy: 'last-write-wins', changes: changes(source) });
}

export const PUSH_MESSAGE_CASES: readonly HostileCase[] = [
  invalid('a push without an instance id', () => pushWith((b) => ({ ...b, instanceId: undefined }))),
  invalid('a push whose instance id is not a UUID', () => pushWith((b) => ({ ...b, instanceId: 'not-a-uuid' }))),
  invalid('a push without a policy', () => pushWith((b) => ({ ...b, policy: undefined }))),
  invalid('an unknown policy', () => pushWith((b) => ({ ...b, policy: 'client-always-wins' }))),
  invalid('a push without changes', () => pushWith((b) => ({ ...b, changes: undefined }))),
  invalid('changes that are not a list', () => pushWith((b) => ({ ...b, changes: { 0: {} } }))),
  invalid('changes that are null', () => pushWith((b) => ({ ...b, changes: null }))),
  invalid('a push with an unknown field', () => pushWith((b) => ({ ...b, force: true }))),
  invalid('a change that is a number', () => pushOne(() => 0)),
  invalid('a change that is null', () => pushOne(() => null)),
  invalid('a change that is a list', () => pushOne((c) => [c])),
  invalid('changes out of seq order', () => pushMany((s) => [validChange(s, 2, 'a'), validChange(s, 1, 'b')])),
  invalid('two changes with the same seq', () => pushMany((s) => [validChange(s, 1, 'a'), validChange(s, 1, 'b')])),
  invalid('one bad change among good ones', () => pushMany((s) => [validChange(s, 1, 'g1'), { ...validChange(s, 2, 'g2'), op: 'drop' }, validChange(s, 3, 'g3')])),
  invalid('50 changes that are all zeros (refused at the first)', () => pushMany(() => Array.from({ length: 50 }, () => 0))),
];

export const PUSH_FIELD_CASES: readonly HostileCase[] = [
  invalid('a seq of 0', () => pushOne((c) => ({ ...c, seq: 0 }))),
  invalid('a negative seq', () => pushOne((c) => ({ ...c, seq: -1 }))),
  invalid('a fractional seq', () => pushOne((c) => ({ ...c, seq: 1.5 }))),
  invalid('a seq given as a string', () => pushOne((c) => ({ ...c, seq: '1' }))),
  invalid('a seq past 2^53', () => pushOne((c) => ({ ...c, seq: 2 ** 53 + 2 }))),
  invalid('a change without a seq', () => pushOne((c) => without(c, 'seq'))),
  invalid('a change whose source is not the pusher', () => pushOne((c) => ({ ...c, source: newInstanceId() }))),
  invalid('a change without a source', () => pushOne((c) => without(c, 'source'))),
  invalid('an empty collective', () => pushOne((c) => ({ ...c, collective: '' }))),
  invalid('a collective of 129 characters', () => pushOne((c) => ({ ...c, collective: 'c'.repeat(129) }))),
  invalid('a collective that is a number', () => pushOne((c) => ({ ...c, collective: 1 }))),
  invalid('a change without a collective', () => pushOne((c) => without(c, 'collective'))),
  invalid('an empty record id', () => pushOne((c) => ({ ...c, id: '' }))),
  invalid('a record id of 513 characters', () => pushOne((c) => ({ ...c, id: 'i'.repeat(513) }))),
  invalid('a record id that is an object', () => pushOne((c) => ({ ...c, id: { $gt: '' } }))),
  invalid('a change without a record id', () => pushOne((c) => without(c, 'id'))),
  invalid('an unknown op', () => pushOne((c) => ({ ...c, op: 'upsert' }))),
  invalid('a change without an op', () => pushOne((c) => without(c, 'op'))),
  invalid('a put without a value', () => pushOne((c) => without(c, 'value'))),
  invalid('a delete with a value', () => pushOne((c) => ({ ...c, op: 'delete' }))),
  invalid('a value nested too deep', () => pushOne((c) => ({ ...c, value: deeplyNested(100) }))),
  {
    name: 'a value of 1e400 (Infinity once parsed)',
    request: () => {
      const source = newInstanceId();
      const text = JSON.stringify({ instanceId: source, policy: 'last-write-wins', changes: [{ ...validChange(source), value: 0 }] }).replace('"value":0', '"value":1e400');
      return new Request('http://sync.test/sync/push', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer hostile-test-token' }, body: text });
    },
    status: 400,
    code: 'INVALID_PAYLOAD',
  },
  invalid('a malformed HLC', () => pushOne((c) => ({ ...c, hlc: 'yesterday' }))),
  invalid('an HLC with 16 wall-clock digits', () => pushOne((c) => ({ ...c, hlc: '1000000000000000:000000:n' }))),
  invalid('an HLC with a 7-digit counter', () => pushOne((c) => ({ ...c, hlc: `${String(NOW).padStart(15, '0')}:0000000:n` }))),
  invalid('an HLC whose node has a colon', () => pushOne((c) => ({ ...c, hlc: `${String(NOW).padStart(15, '0')}:000000:a:b` }))),
  invalid('an HLC whose node has 65 characters', () => pushOne((c) => ({ ...c, hlc: formatHlc({ wallMs: NOW, counter: 0, node: 'n'.repeat(65) }) }))),
  invalid('an HLC that is a number', () => pushOne((c) => ({ ...c, hlc: NOW }))),
  invalid('a change without an HLC', () => pushOne((c) => without(c, 'hlc'))),
  invalid('a negative baseVersion', () => pushOne((c) => ({ ...c, baseVersion: -1 }))),
  invalid('a baseVersion given as a string', () => pushOne((c) => ({ ...c, baseVersion: '3' }))),
  invalid('a fractional baseVersion', () => pushOne((c) => ({ ...c, baseVersion: 0.5 }))),
  invalid('a change without a baseVersion', () => pushOne((c) => without(c, 'baseVersion'))),
  invalid('an unknown field in a change', () => pushOne((c) => ({ ...c, admin: true }))),
  {
    name: 'a __proto__ key in a change',
    request: () => {
      const source = newInstanceId();
      const text = JSON.stringify({ instanceId: source, policy: 'last-write-wins', changes: [validChange(source)] }).replace('"seq":1,', '"seq":1,"__proto__":{"admin":true},');
      return new Request('http://sync.test/sync/push', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer hostile-test-token' }, body: text });
    },
    status: 400,
    code: 'INVALID_PAYLOAD',
  },
  // Sizes.
  { name: 'an oversized value', request: () => pushOne((c) => ({ ...c, value: 'x'.repeat(2 * 1024) })), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'an oversized batch', request: () => pushMany((s) => Array.from({ length: 51 }, (_, i) => validChange(s, i + 1, `k${i}`))), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'a batch of 51 zeros (counted before any is read)', request: () => pushMany(() => Array.from({ length: 51 }, () => 0)), status: 413, code: 'PAYLOAD_TOO_LARGE' },
];

const at = (wallMs: number): string => formatHlc({ wallMs, counter: 0, node: 'n' });

export const PUSH_REFUSED_CHANGE_CASES: readonly HostileCase[] = [
  refusedChange('a collective with a NUL character', () => pushOne((c) => ({ ...c, collective: 'no\u0000tes' }))),
  refusedChange('a record id with a lone surrogate', () => pushOne((c) => ({ ...c, id: 'a\ud800b' }))),
  refusedChange('an HLC whose node has a NUL character', () => pushOne((c) => ({ ...c, hlc: at(NOW).replace(/n$/, 'n\u0000') }))),
  refusedChange('the poisoned clock 999999999999999:999999:zzzz', () => pushOne((c) => ({ ...c, hlc: '999999999999999:999999:zzzz' }))),
  refusedChange('a clock 5 minutes and 1 ms ahead of the server', () => pushOne((c) => ({ ...c, hlc: at(NOW + 5 * 60_000 + 1) }))),
  refusedChange('a clock a year ahead', () => pushOne((c) => ({ ...c, hlc: at(NOW + 365 * 86_400_000) }))),
  refusedChange('a reader writing to a collective it may only read', () => pushOne((c) => c, { authorization: `Bearer ${READER_TOKEN}` }), 'FORBIDDEN'),
  refusedChange('a reader writing to a collective it may not touch', () => pushOne((c) => ({ ...c, collective: 'secrets' }), { authorization: `Bearer ${READER_TOKEN}` }), 'FORBIDDEN'),
];
