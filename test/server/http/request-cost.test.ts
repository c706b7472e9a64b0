/**
 * What one request may cost (issue 11, finding 3): validation looks at sizes and counts
 * before it walks a list, stops at the first bad element, and a body whose JSON would be
 * costly to parse is refused while it streams in, before it is parsed. Element reads
 * are counted through a Proxy, so these tests prove the short-cut itself rather than
 * timing it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, isSyncError } from '../../../src/protocol/errors.ts';
import { parseHandshakeRequest, parsePullRequest, parsePushRequest } from '../../../src/protocol/validate.ts';
import { createFetchHandler } from '../../../src/server/http/fetch-handler.ts';
import { createSyncServer, type SyncServer } from '../../../src/server/sync-server.ts';
import { memoryServerStore } from '../../../src/server/stores/memory-server-store.ts';
import { newInstanceId, pushBody, putChange, storeSnapshot } from './wire-messages.ts';

/** `items` behind a Proxy that counts how many elements were read. */
function counted<T>(items: T[]): { list: T[]; reads: () => number } {
  let reads = 0;
  const list = new Proxy(items, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { list, reads: () => reads };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

let servers: SyncServer[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

function newServer(): SyncServer {
  const server = createSyncServer({ store: memoryServerStore() });
  servers.push(server);
  return server;
}

describe('validation fails fast', () => {
  const me = newInstanceId();

  it('stops at the first bad element of a push instead of recording an issue per element', () => {
    const { list, reads } = counted<unknown>(Array.from({ length: 10_000 }, () => 0));
    const error = thrown(() => parsePushRequest({ instanceId: me, policy: 'last-write-wins', changes: list }));
    expect(isSyncError(error, ErrorCode.INVALID_PAYLOAD)).toBe(true);
    expect((error as Error).message).toMatch(/changes\.0/);
    expect(reads()).toBeLessThanOrEqual(3);
  });

  it('refuses a push longer than the protocol allows before reading one element', () => {
    const { list, reads } = counted<unknown>(Array.from({ length: 10_001 }, () => 0));
    const error = thrown(() => parsePushRequest({ instanceId: me, policy: 'last-write-wins', changes: list }));
    expect(isSyncError(error, ErrorCode.PAYLOAD_TOO_LARGE)).toBe(true);
    expect(reads()).toBe(0);
  });

  it('refuses a pull naming too many collectives, and a handshake with too many capabilities, before reading one', () => {
    const collectives = counted(Array.from({ length: 1001 }, () => 'notes'));
    expect(isSyncError(thrown(() => parsePullRequest({ instanceId: me, cursor: 0, batchSize: 1, collectives: collectives.list })), ErrorCode.INVALID_PAYLOAD)).toBe(true);
    expect(collectives.reads()).toBe(0);
    const capabilities = counted(Array.from({ length: 100_000 }, () => 'live'));
    expect(isSyncError(thrown(() => parseHandshakeRequest({ instanceId: me, protocolVersion: 1, capabilities: capabilities.list })), ErrorCode.INVALID_PAYLOAD)).toBe(true);
    expect(capabilities.reads()).toBe(0);
  });

  it('the server checks its own push limit before validating a change', async () => {
    const server = createSyncServer({ store: memoryServerStore(), limits: { maxPushChanges: 50 } });
    servers.push(server);
    const { list, reads } = counted<unknown>(Array.from({ length: 51 }, (_, i) => putChange(me, i + 1, `k${i}`, i)));
    await expect(server.handlePush({ instanceId: me, policy: 'last-write-wins', changes: list })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(reads()).toBe(0);
  });
});

describe('a body costly to parse is refused before it is parsed', () => {
  /** A push body of `count` copies of `item` in `changes`. */
  const body = (item: string, count: number): string => `{"changes":[${Array.from({ length: count }, () => item).join(',')}]}`;

  it.each([
    ['7 million zeros (14 MB, under the body cap)', '0', 7_000_000],
    ['a million empty objects', '{}', 1_000_000],
    ['a million empty lists', '[]', 1_000_000],
  ])('%s → 413 PAYLOAD_TOO_LARGE without JSON.parse seeing it', async (_name, item, count) => {
    const server = newServer();
    const handler = createFetchHandler(server);
    const text = body(item, count);
    expect(text.length).toBeLessThan(server.limits.maxBodyBytes);
    const parse = vi.spyOn(JSON, 'parse');
    const response = await handler(new Request('http://sync.test/sync/push', { method: 'POST', headers: { 'content-type': 'application/json' }, body: text }));
    const bigParses = parse.mock.calls.filter(([input]) => typeof input === 'string' && input.length >= text.length).length;
    parse.mockRestore();
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE', details: { maxJsonNodes: server.limits.maxJsonNodes } } });
    expect(bigParses).toBe(0);
    expect((await storeSnapshot(server.store)).rows).toEqual([]);
  });

  it('a push of the same size in few nodes (one long string value) is parsed and judged on its merits', async () => {
    const server = newServer();
    const handler = createFetchHandler(server);
    const me = newInstanceId();
    const response = await handler(
      new Request('http://sync.test/sync/push', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(pushBody(me, [putChange(me, 1, 'long', 'x'.repeat(900_000))])),
      }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ accepted: 1 });
  });
});
