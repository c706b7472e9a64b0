/**
 * One request does not stall the server (issue 11, finding 3), over real sockets on
 * 127.0.0.1: a push body of 7 million zeros (14 MB, under the 16 MB body cap) was
 * answered after 53 s, and health waited as long. Now it is refused while it streams
 * in, and a valid push of thousands of changes lets other requests in between its steps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fullAccess } from '../../../src/server/access.ts';
import { createFetchHandler } from '../../../src/server/http/fetch-handler.ts';
import { createNodeServer, type NodeSyncServer } from '../../../src/server/node/node-server.ts';
import { memoryServerStore } from '../../../src/server/stores/memory-server-store.ts';
import { createSyncServer, type SyncServer } from '../../../src/server/sync-server.ts';
import type { ServerStore } from '../../../src/server/types.ts';
import { newInstanceId, pushBody, putChange } from '../http/wire-messages.ts';

const TOKEN = 'request-cost-token';
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

let running: { server: SyncServer; node: NodeSyncServer }[] = [];
afterEach(async () => {
  for (const { server, node } of running) {
    await node.close();
    await server.close();
  }
  running = [];
});

async function serve(store: ServerStore = memoryServerStore()): Promise<string> {
  const server = createSyncServer({ store, authenticate: (request) => (request.headers.get('authorization') === `Bearer ${TOKEN}` ? fullAccess('writer') : null) });
  const node = await createNodeServer(createFetchHandler(server), { port: 0 });
  running.push({ server, node });
  return node.url;
}

/** Milliseconds one health request takes. */
async function healthMs(url: string): Promise<number> {
  const start = performance.now();
  const response = await fetch(`${url}/sync/health`);
  expect(response.status).toBe(200);
  await response.arrayBuffer();
  return performance.now() - start;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

describe('one costly request does not stall the server', () => {
  it('a push of 7 million zeros is refused 413 while it streams in, and health keeps answering meanwhile', async () => {
    const url = await serve();
    const baseline = median(await Promise.all([0, 1, 2, 3, 4].map(() => healthMs(url))));
    const body = `{"changes":[${'0,'.repeat(7_000_000 - 1)}0]}`;
    expect(body.length).toBe(14_000_013);

    let done = false;
    const push = fetch(`${url}/sync/push`, { method: 'POST', headers, body }).then(async (response) => {
      done = true;
      return { status: response.status, body: (await response.json()) as { error: { code: string } } };
    });
    const during: number[] = [];
    while (!done && during.length < 1000) during.push(await healthMs(url));
    const answer = await push;

    expect(answer).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    // Generous, and relative to this machine's own baseline: before the fix health
    // waited 53 s; a shared CI box may add some hundreds of milliseconds of noise.
    console.log(`health while a 14 MB push of zeros was handled: baseline ${baseline.toFixed(1)} ms, worst ${Math.max(...during).toFixed(1)} ms over ${during.length} probes`);
    expect(Math.max(...during)).toBeLessThan(2_000 + 20 * baseline);
  });

  it('a valid push of 5,000 changes lets a health request through before it is done', async () => {
    const store = memoryServerStore();
    let entered!: () => void;
    const inTransaction = new Promise<void>((resolve) => (entered = resolve));
    // The push's transaction signals once it starts, after the body was read and checked.
    // Each call the push makes on it holds the event loop 5 ms, so the push outlasts one
    // turn (TURN_MS) on any machine: a fast box must not finish it before it has to yield.
    const slow = <T extends object>(inner: T): T =>
      new Proxy(inner, {
        get(target, key) {
          const value = Reflect.get(target, key, target) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            const until = performance.now() + 5;
            while (performance.now() < until) {
              // held on purpose
            }
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    const watched = new Proxy(store, {
      get(target, key) {
        if (key === 'transaction') {
          return (fn: Parameters<ServerStore['transaction']>[0]) => {
            entered();
            return target.transaction((tx) => fn(slow(tx)));
          };
        }
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const url = await serve(watched);
    const me = newInstanceId();
    const changes = Array.from({ length: 5_000 }, (_, i) => putChange(me, i + 1, `r${i}`, { i, text: 'some words to store' }));
    const order: string[] = [];
    const push = fetch(`${url}/sync/push`, { method: 'POST', headers, body: JSON.stringify(pushBody(me, changes)) }).then(async (response) => {
      order.push('push');
      return (await response.json()) as { accepted: number };
    });
    await inTransaction;
    const health = fetch(`${url}/sync/health`).then(async (response) => {
      order.push('health');
      return response.status;
    });
    expect(await health).toBe(200);
    expect(await push).toMatchObject({ accepted: 5_000 });
    expect(order).toEqual(['health', 'push']);
  });
});
