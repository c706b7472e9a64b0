/**
 * httpTransport against a real server on 127.0.0.1: messages round-trip validated, and
 * each failure arrives as the SyncError the engine acts on.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Backoff } from '../../src/engine/backoff.ts';
import { SyncError } from '../../src/protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../src/protocol/types.ts';
import { createNodeServer } from '../../src/server/node/node-server.ts';
import { manualClock } from '../../src/testing/manual-clock.ts';
import { httpTransport, parseRetryAfter } from '../../src/transport/http-transport.ts';
import { newInstanceId, pushBody, putChange } from '../server/http/wire-messages.ts';
import { waitFor } from '../support/wait.ts';
import { json, never, startScriptedServer, TOKEN, type ScriptedServer } from './http-fixtures.ts';

let server: ScriptedServer;
beforeEach(async () => {
  server = await startScriptedServer();
});
afterEach(async () => {
  await server.close();
});

/** The SyncError a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<SyncError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SyncError);
  return error as SyncError;
}

const me = newInstanceId();
const hello = { instanceId: me, protocolVersion: PROTOCOL_VERSION, capabilities: ['live'] };

describe('httpTransport', () => {
  it('speaks every message of the protocol with the bearer token', async () => {
    const transport = httpTransport({ url: `${server.url}/`, getToken: () => TOKEN });
    expect(await transport.health()).toMatchObject({ ok: true });
    expect(await transport.handshake(hello)).toMatchObject({ accepted: true, protocolVersion: PROTOCOL_VERSION });
    const pushed = await transport.push(pushBody(me, [putChange(me, 1, 'a', { n: 1 })]) as never);
    expect(pushed).toMatchObject({ accepted: 1, ackedSeq: 1 });
    const other = newInstanceId();
    expect(await transport.pull({ instanceId: other, cursor: 0, batchSize: 10 })).toMatchObject({ changes: [{ id: 'a', value: { n: 1 } }], hasMore: false });
    expect(server.seen.filter((s) => s.route !== 'health').every((s) => s.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('fails TIMEOUT when the server does not answer within timeoutMs, on its injected timers', async () => {
    server.intercept = (request) => never(request);
    const clock = manualClock();
    let settled = false;
    const call = httpTransport({ url: server.url, getToken: () => TOKEN, timeoutMs: 10_000, timers: clock })
      .pull({ instanceId: me, cursor: 0, batchSize: 1 })
      .finally(() => (settled = true));
    await waitFor('the pull to reach the server', () => server.seen.length, (n) => n === 1);
    expect(clock.pending()).toEqual([10_000]);
    clock.advance(9_999);
    await Promise.resolve();
    expect(settled).toBe(false);
    clock.advance(1);
    const error = await failure(call);
    expect(error.code).toBe('TIMEOUT');
    expect(error.details).toMatchObject({ timeoutMs: 10_000 });
  });

  it('clears its timeout once answered', async () => {
    const clock = manualClock();
    await httpTransport({ url: server.url, getToken: () => TOKEN, timers: clock }).health();
    expect(clock.pending()).toEqual([]);
  });

  it('fails TRANSPORT when nothing listens', async () => {
    const gone = await createNodeServer(async () => new Response(null), { port: 0 });
    await gone.close();
    const error = await failure(httpTransport({ url: gone.url, getToken: () => TOKEN }).health());
    expect(error.code).toBe('TRANSPORT');
    expect(error.message).toContain(gone.url);
  });

  it('turns 429 Retry-After into RATE_LIMITED with retryAfterMs, which the engine backoff waits out', async () => {
    server.intercept = () => json(429, { error: { code: 'RATE_LIMITED', message: 'slow down' } }, { 'retry-after': '7' });
    const error = await failure(httpTransport({ url: server.url, getToken: () => TOKEN }).push(pushBody(me, []) as never));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.details).toMatchObject({ retryAfterMs: 7000, status: 429 });
    const backoff = new Backoff({ initialDelayMs: 100, multiplier: 2, maxDelayMs: 10_000, maxRetries: 5 });
    expect(backoff.fail(error).nextDelayMs).toBe(7000);
  });

  it('turns a 503 from a proxy (no JSON body, HTTP-date Retry-After) into RATE_LIMITED, read on its injected clock', async () => {
    server.intercept = () => new Response('<html>maintenance</html>', { status: 503, headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:10 GMT' } });
    const now = () => Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    const error = await failure(httpTransport({ url: server.url, getToken: () => TOKEN, now }).health());
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.details?.['retryAfterMs']).toBe(10_000);
  });

  it('asks getToken again once on 401 and retries with the new token', async () => {
    const tokens = ['expired-token', TOKEN];
    let asked = 0;
    const transport = httpTransport({ url: server.url, getToken: () => tokens[asked++] });
    expect(await transport.handshake(hello)).toMatchObject({ accepted: true });
    expect(asked).toBe(2);
    // The fresh token is kept for later calls.
    await transport.pull({ instanceId: me, cursor: 0, batchSize: 1 });
    expect(asked).toBe(2);
  });

  it('concurrent calls refused at once share one refresh', async () => {
    let asked = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const transport = httpTransport({
      url: server.url,
      getToken: async () => {
        asked += 1;
        if (asked === 1) return 'expired-token';
        await gate; // the refresh takes a moment, as a real one does
        return TOKEN;
      },
    });
    const calls = Promise.all([transport.health(), transport.pull({ instanceId: me, cursor: 0, batchSize: 1 }), transport.handshake(hello)]);
    await waitFor('the refresh to be asked', () => asked, (n) => n >= 2);
    release();
    await calls;
    expect(asked).toBe(2);
  });

  it('fails UNAUTHORIZED when the refreshed token is refused too', async () => {
    let asked = 0;
    const transport = httpTransport({
      url: server.url,
      getToken: () => {
        asked += 1;
        return 'wrong-token';
      },
    });
    const error = await failure(transport.handshake(hello));
    expect(error.code).toBe('UNAUTHORIZED');
    expect({ asked, requests: server.seen.filter((s) => s.route === 'handshake').length }).toEqual({ asked: 2, requests: 2 });
  });

  it("rebuilds the server's error: code, message and details", async () => {
    const error = await failure(httpTransport({ url: server.url, getToken: () => TOKEN }).pull({ instanceId: me, cursor: 999, batchSize: 1 }));
    expect(error.code).toBe('CURSOR_AHEAD');
    expect(error.details).toMatchObject({ status: 409 });
  });

  it('refuses a response that is not a valid message (INVALID_PAYLOAD)', async () => {
    server.intercept = () => json(200, { changes: 'lots', hasMore: false, newCursor: 0 });
    expect((await failure(httpTransport({ url: server.url, getToken: () => TOKEN }).pull({ instanceId: me, cursor: 0, batchSize: 1 }))).code).toBe('INVALID_PAYLOAD');
    server.intercept = () => new Response('<html>hello</html>', { status: 200 });
    expect((await failure(httpTransport({ url: server.url, getToken: () => TOKEN }).health())).code).toBe('INVALID_PAYLOAD');
  });

  it('maps a bare gateway error to TRANSPORT', async () => {
    server.intercept = () => new Response('bad gateway', { status: 502 });
    expect((await failure(httpTransport({ url: server.url, getToken: () => TOKEN }).health())).code).toBe('TRANSPORT');
  });

  it('uses the injected fetch and extra headers', async () => {
    const urls: string[] = [];
    const transport = httpTransport({
      url: server.url,
      headers: { 'x-app': 'notes' },
      getToken: () => TOKEN,
      fetch: (input, init) => {
        urls.push(String(input));
        expect(new Headers(init?.headers).get('x-app')).toBe('notes');
        return fetch(input, init);
      },
    });
    await transport.health();
    expect(urls).toEqual([`${server.url}/sync/health`]);
  });
});

describe('httpTransport failures by status', () => {
  it.each([
    [400, 'INVALID_PAYLOAD'],
    [422, 'INVALID_PAYLOAD'],
    [401, 'UNAUTHORIZED'],
    [403, 'FORBIDDEN'],
    [404, 'NOT_FOUND'],
    [405, 'NOT_FOUND'],
    [408, 'TIMEOUT'],
    [504, 'TIMEOUT'],
    [413, 'PAYLOAD_TOO_LARGE'],
    [500, 'TRANSPORT'],
    [502, 'TRANSPORT'],
    [418, 'TRANSPORT'],
    [429, 'RATE_LIMITED'],
    [503, 'RATE_LIMITED'],
  ])('gives HTTP %i without a code of ours in the body as %s', async (status, code) => {
    const transport = httpTransport({ url: 'http://sync.invalid', fetch: async () => new Response('<html>proxy page</html>', { status }) });
    const error = await failure(transport.health());
    expect([error.code, error.message, error.details?.['status']]).toEqual([code, `health failed with HTTP ${status}`, status]);
  });

  it("keeps the server's own code and message, except that a 401 stays UNAUTHORIZED", async () => {
    const answer = (status: number) => async () => json(status, { error: { code: 'INSTANCE_CLONED', message: 'cloned', details: { why: 1 } } });
    const own = await failure(httpTransport({ url: 'http://sync.invalid', fetch: answer(409) }).health());
    expect([own.code, own.message, own.details]).toEqual(['INSTANCE_CLONED', 'cloned', { status: 409, why: 1 }]);
    const auth = await failure(httpTransport({ url: 'http://sync.invalid', fetch: answer(401) }).health());
    expect([auth.code, auth.message]).toEqual(['UNAUTHORIZED', 'cloned']);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and ignores junk', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
