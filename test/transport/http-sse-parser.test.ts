/** The SSE parser reads events however the bytes are cut into chunks. */
import { describe, expect, it } from 'vitest';
import { createSseParser, type SseEvent } from '../../src/transport/sse.ts';

function parseAll(chunks: readonly string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createSseParser((event) => events.push(event));
  for (const chunk of chunks) parser.feed(chunk);
  return events;
}

const STREAM = 'retry: 2000\n: pulsesync live\n\nevent: poke\ndata: {}\n\n: heartbeat\n\ndata: line one\ndata: line two\nid: 7\n\nevent: poke\ndata: {}\n\n';
const EXPECTED: SseEvent[] = [
  { event: 'poke', data: '{}' },
  { event: 'message', data: 'line one\nline two', id: '7' },
  { event: 'poke', data: '{}', id: '7' },
];

describe('createSseParser', () => {
  it('reads events, skips comments and joins multi-line data', () => {
    expect(parseAll([STREAM])).toEqual(EXPECTED);
  });

  it('gives the same events for every way of cutting the stream in two', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      expect(parseAll([STREAM.slice(0, cut), STREAM.slice(cut)])).toEqual(EXPECTED);
    }
  });

  it('accepts CRLF and lone CR line endings, also when CRLF is split across chunks', () => {
    const crlf = STREAM.replaceAll('\n', '\r\n');
    for (let cut = 0; cut <= crlf.length; cut++) expect(parseAll([crlf.slice(0, cut), crlf.slice(cut)])).toEqual(EXPECTED);
    expect(parseAll([STREAM.replaceAll('\n', '\r')])).toEqual(EXPECTED);
  });

  it('dispatches nothing for an event without data, or one cut off before its blank line', () => {
    expect(parseAll(['event: poke\n\n', 'event: poke\ndata: {}\n'])).toEqual([]);
  });
});
