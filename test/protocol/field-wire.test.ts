/**
 * Patches and field stamps on the wire: the server's push schema takes patches under
 * the field policy only and refuses malformed ones naming the field; the client's pull
 * parser takes stamps, strictly, as it takes the rest of a pulled change.
 */
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import { MAX_JSON_DEPTH } from '../../src/protocol/json-value.ts';
import { parseFieldStamps } from '../../src/protocol/stamp-parser.ts';
import { parsePullResponse, parsePushRequest } from '../../src/protocol/validate.ts';
import { MAX_FIELD_KEY_LENGTH, MAX_PATCH_FIELDS } from '../../src/protocol/wire-rules.ts';

const source = '01936d6e-7b7a-7c3e-9a2b-4f5e6d7c8b9a';
const hlc = formatHlc({ wallMs: 1_700_000_000_000, counter: 0, node: source });
const patch = { seq: 1, source, collective: 'todos', id: 't', op: 'patch', fields: [{ path: ['title'], value: 'x' }, { path: ['notes', 'old'] }], hlc, baseVersion: 3 };
const push = (change: Record<string, unknown>, policy = 'field-last-write-wins') => ({ instanceId: source, policy, changes: [change] });

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('patches in a push', () => {
  it('takes a patch, with set and deleted paths, under field-last-write-wins', () => {
    expect(parsePushRequest(push(patch)).changes[0]).toEqual(patch);
  });

  it('refuses a patch under a whole-record policy', () => {
    expect(refusal(() => parsePushRequest(push(patch, 'last-write-wins')))).toContain('a patch needs policy "field-last-write-wins"');
  });

  it.each([
    ['a value beside its fields', { ...patch, value: 1 }, 'a put needs a value, a patch its fields, and a delete neither'],
    ['fields on a put', { ...patch, op: 'put', value: 1 }, 'a put needs a value, a patch its fields, and a delete neither'],
    ['no entries', { ...patch, fields: [] }, 'changes.0.fields: must be a list of 1 to'],
    ['a path inside another', { ...patch, fields: [{ path: ['a'], value: 1 }, { path: ['a', 'b'], value: 2 }] }, 'none inside another'],
    ['one path twice', { ...patch, fields: [{ path: ['a'], value: 1 }, { path: ['a'] }] }, 'none inside another'],
    ['the whole record as a path', { ...patch, fields: [{ path: [], value: 1 }] }, 'none empty'],
    ['a key too long', { ...patch, fields: [{ path: ['k'.repeat(MAX_FIELD_KEY_LENGTH + 1)], value: 1 }] }, 'changes.0.fields.0.path'],
    ['an unknown key in an entry', { ...patch, fields: [{ path: ['a'], value: 1, at: 2 }] }, 'changes.0.fields.0'],
  ])('refuses %s, naming what is wrong', (_name, change, words) => {
    expect(refusal(() => parsePushRequest(push(change)))).toContain(words);
  });

  it('refuses a value that nests, with its path, deeper than the values allowed', () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH - 2; i++) deep = { d: deep };
    expect(() => parsePushRequest(push({ ...patch, fields: [{ path: ['a'], value: deep }] }))).not.toThrow();
    expect(refusal(() => parsePushRequest(push({ ...patch, fields: [{ path: ['a', 'b', 'c'], value: deep }] })))).toContain('deeper than');
  });

  it('refuses too many entries by their count, before looking at one', () => {
    const many = Array.from({ length: MAX_PATCH_FIELDS + 1 }, () => 'not an entry');
    expect(refusal(() => parsePushRequest(push({ ...patch, fields: many })))).toContain(`must be a list of 1 to ${MAX_PATCH_FIELDS} entries`);
  });
});

describe('field stamps in a pull', () => {
  const stamped = {
    collective: 'todos',
    id: 't',
    op: 'put',
    value: { title: 'x' },
    hlc,
    source: '00000000-0000-0000-0000-000000000000',
    version: 9,
    fields: [
      { path: [], hlc, source, version: 4 },
      { path: ['notes'], hlc, source, deleted: true },
      { path: ['title'], hlc, source, over: [{ hlc, source }] },
    ],
  };
  const pull = (change: unknown) => ({ changes: [change], hasMore: false, newCursor: 9 });

  it('takes a record with its stamps as it came', () => {
    expect(parsePullResponse(pull(stamped)).changes[0]).toEqual(stamped);
  });

  it('refuses stamps that are not a list of JSON values; what is in each is not its to check', () => {
    expect(refusal(() => parsePullResponse(pull({ ...stamped, fields: {} })))).toContain('changes.0.fields: must be an array');
    expect(refusal(() => parsePullResponse(pull({ ...stamped, fields: [Number.NaN] })))).toContain('changes.0.fields.0: must be a plain JSON value');
    expect(parsePullResponse(pull({ ...stamped, fields: [{ extra: 1 }] })).changes[0]?.fields).toEqual([{ extra: 1 }]);
  });

  it('checks each stamp whole where field-level records are kept (stamp-parser.ts)', () => {
    expect(parseFieldStamps(stamped.fields, ['pulled change', 'todos/t', 'fields'])).toEqual(stamped.fields);
  });

  it.each([
    ['an unknown key in a stamp', [{ path: ['a'], hlc, source, extra: 1 }], 'fields.0.extra: is not a known field'],
    ['deleted other than true', [{ path: ['a'], hlc, source, deleted: false }], 'fields.0.deleted: must be true when present'],
    ['a path that is not a list of keys', [{ path: 'a.b', hlc, source }], 'fields.0.path'],
    ['an overruled write without its writer', [{ path: ['a'], hlc, source, over: [{ hlc }] }], 'fields.0.over.0.source: is missing'],
  ])('refuses %s', (_name, fields, words) => {
    expect(refusal(() => parseFieldStamps(fields, ['pulled change', 'todos/t', 'fields']))).toContain(`Invalid pulled change: todos/t.${words}`);
  });
});
