/**
 * The byte measures a pull page is cut by (src/server/stores/change-page.ts) say what the
 * JSON of a row takes in UTF-8, for plain ASCII (measured without a walk) and for every
 * text that is not: escapes, non-ASCII, surrogate pairs, lone surrogates.
 */
import { describe, expect, it } from 'vitest';
import { feedRowBytes, ROW_FRAME_BYTES, utf8Bytes } from '../../src/server/stores/change-page.ts';

const TEXTS = [
  '',
  'notes',
  'c12-0000000042',
  '0001700000000000-0000-abcdef01',
  'a "quoted" \\ back\\slash',
  'tab\there, newline\n, nul\u0000, del\u007f',
  'café ünïcödé',
  '日本語のテキスト',
  'emoji 😀 pair',
  'lone \ud800 high, lone \udc00 low',
  'x'.repeat(300),
];

/** What Node encodes the text to (a lone surrogate becomes U+FFFD, 3 bytes, as `utf8Bytes` counts it). */
const encoded = (text: string): number => Buffer.byteLength(text, 'utf8');

describe('row byte measures', () => {
  it.each(TEXTS)('utf8Bytes(%j) is its UTF-8 length', (text) => {
    expect(utf8Bytes(text)).toBe(encoded(text));
  });

  it.each(TEXTS)('feedRowBytes counts %j as the JSON string it is sent as', (text) => {
    const row = { collective: text, id: `${text}!`, hlc: text, source: 'src' };
    const quoted = [row.collective, row.id, row.hlc, row.source].reduce((sum, t) => sum + encoded(JSON.stringify(t)), 0);
    expect(feedRowBytes(row, 7)).toBe(ROW_FRAME_BYTES + quoted + 7);
  });
});
