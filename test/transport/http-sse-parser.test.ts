/** The SSE parser reads events however the bytes are cut into chunks. */
import { describe, expect, it } from 'vitest';
import { createSseParser } from '../../src/transport/sse.ts';

/** The types of the events dispatched. */
function parseAll(chunks: readonly string[]): string[] {
  const events: string[] = [];
  const parser = createSseParser((event) => events.push(event));
  for (const chunk of chunks) parser.feed(chunk);
  return events;
}

const STREAM = 'retry: 2000\n: pulsesync live\n\nevent: poke\ndata: {}\n\n: heartbeat\n\ndata: line one\ndata: line two\nid: 7\n\nevent: poke\ndata: {}\n\n';
const EXPECTED = ['poke', 'message', 'poke'];

describe('createSseParser', () => {
  it('reads events, skips comments, and names an unnamed event message', () => {
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

  it('takes the event name after one optional space, and a bare data line as data', () => {
    expect(parseAll(['event:poke\ndata\n\nevent:  spaced\ndata: x\n\nevent\ndata: y\n\n'])).toEqual(['poke', ' spaced', 'message']);
  });
});
