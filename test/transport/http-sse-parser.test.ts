/** The SSE parser reads events however the bytes are cut into chunks. */
import fc from 'fast-check';
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

  it('gives the same events however a stream of any lines and line endings is cut into chunks', () => {
    const seed = Number(process.env['SSE_SEED'] ?? Date.now() % 1_000_000);
    console.log(`SSE chunking property: seed ${seed} (replay with SSE_SEED=${seed})`);
    const line = fc.constantFrom('', 'event: poke', 'event:poke', 'event', 'data: {}', 'data', ': heartbeat', 'id: 7', 'retry: 10', 'event: other');
    const ending = fc.constantFrom('\n', '\r', '\r\n');
    const stream = fc.array(fc.tuple(line, ending), { maxLength: 30 }).map((lines) => lines.map(([text, end]) => text + end).join(''));
    const cuts = fc.array(fc.nat(), { maxLength: 8 });
    fc.assert(
      fc.property(stream, cuts, (text, at) => {
        const points = [...new Set(at.map((n) => n % (text.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((from, i) => text.slice(from, points[i] ?? text.length));
        expect(parseAll(chunks)).toEqual(parseAll([text]));
      }),
      { seed, numRuns: 2000 },
    );
  });
});
