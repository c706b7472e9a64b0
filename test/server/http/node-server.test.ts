/** The Node server's graceful close: no new connections, requests in flight finish. */
import { describe, expect, it } from 'vitest';
import { createNodeServer } from '../../../src/server/node/node-server.ts';
import { waitFor } from '../../support/wait.ts';

describe('createNodeServer close()', () => {
  it('lets a request in flight finish, then stops accepting', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived = 0;
    const node = await createNodeServer(
      async () => {
        arrived += 1;
        await held;
        return new Response('finished');
      },
      { port: 0 },
    );
    const inFlight = fetch(`${node.url}/slow`).then((r) => r.text());
    await waitFor('the request to arrive', () => arrived, (n) => n === 1);
    let closed = false;
    const closing = node.close().then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    release();
    expect(await inFlight).toBe('finished');
    await closing;
    await expect(fetch(`${node.url}/again`)).rejects.toThrow();
  });
});
