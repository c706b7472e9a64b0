/** Postgres commit notifications: what they carry, within the payload limit, and what an older process's look like. */
import { describe, expect, it } from 'vitest';
import { decodeCommitNote, encodeCommitNote, MAX_NOTE_BYTES } from '../../../src/server/stores/postgres/commit-note.ts';

describe('Postgres commit notes', () => {
  it('names the collectives when they fit, and the version range when they do not', () => {
    expect(decodeCommitNote(encodeCommitNote('me', ['notes', 'private:alice'], [4, 9]))).toEqual({ from: 'me', collectives: ['notes', 'private:alice'] });
    const many = Array.from({ length: 200 }, (_, i) => `collective-${'x'.repeat(100)}-${i}`);
    const payload = encodeCommitNote('me', many, [4, 900]);
    expect(new TextEncoder().encode(payload).length).toBeLessThanOrEqual(MAX_NOTE_BYTES);
    expect(decodeCommitNote(payload)).toEqual({ from: 'me', range: [4, 900] });
  });

  it('reads an older process’s bare token, or anything else, as a commit of unknown collectives', () => {
    for (const payload of [undefined, 'c0ffee-token', '[]', 'null', '{"collectives":["a"]}', '{"from":1}']) expect(decodeCommitNote(payload)).toBeUndefined();
    expect(decodeCommitNote('{"from":"x","collectives":[1]}')).toEqual({ from: 'x' });
  });
});
