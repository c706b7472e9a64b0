/**
 * When a request's body is handed on (src/server/http/read-body.ts): a large body is
 * parsed in a turn of the event loop of its own, so what the request does next does not
 * extend the block; a small one goes on at once, because under load a yield waits for
 * every other ready request (seen: 150 ms at p50 to read a pull's body of 100 bytes).
 */
import { describe, expect, it } from 'vitest';
import { readJsonBody, YIELD_AFTER_BODY_BYTES } from '../../../src/server/http/read-body.ts';

const CAP = 16 * 1024 * 1024;

function request(body: string): Request {
  return new Request('http://sync.test/sync/push', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

/** Which comes first: the parsed body, or a turn of the event loop begun once its bytes are in. */
async function firstOf(body: string): Promise<string[]> {
  const order: string[] = [];
  const req = request(body);
  // The bytes are in before the read starts, so only the parse and what follows remain.
  const bytes = await req.clone().arrayBuffer();
  expect(bytes.byteLength).toBe(body.length);
  const parsed = readJsonBody(req, CAP).then(() => order.push('parsed'));
  const turn = new Promise<void>((resolve) => setImmediate(resolve)).then(() => order.push('turn'));
  await Promise.all([parsed, turn]);
  return order;
}

describe('reading a JSON body', () => {
  it('hands a small body on in the turn it was parsed in', async () => {
    expect(await firstOf(JSON.stringify({ instanceId: 'x', cursor: 0, batchSize: 500 }))).toEqual(['parsed', 'turn']);
  });

  it(`parses a body of ${YIELD_AFTER_BODY_BYTES / 1024} KiB or more, then yields a turn before handing it on`, async () => {
    const body = JSON.stringify({ filler: 'x'.repeat(YIELD_AFTER_BODY_BYTES) });
    expect(await firstOf(body)).toEqual(['turn', 'parsed']);
  });
});
