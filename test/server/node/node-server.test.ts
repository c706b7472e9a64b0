/** The Node server's graceful close: no new connections, requests in flight finish. */
import { describe, expect, it } from 'vitest';
import { createNodeServer } from '../../../src/server/node/node-server.ts';
import { globalTimers, type ServerTimers } from '../../../src/server/timers.ts';
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

  it('schedules its drain and idle sweep on the timers it was given, and clears both once closed', async () => {
    const pending = new Map<unknown, string>();
    const recorded =
      (set: ServerTimers['setTimeout'], kind: string): ServerTimers['setTimeout'] =>
      (callback, ms) => {
        const handle = set(callback, ms);
        pending.set(handle, `${kind} ${ms}`);
        return handle;
      };
    const forgotten =
      (clear: ServerTimers['clearTimeout']): ServerTimers['clearTimeout'] =>
      (handle) => {
        pending.delete(handle);
        clear(handle);
      };
    const timers: ServerTimers = {
      setTimeout: recorded(globalTimers.setTimeout, 'timeout'),
      clearTimeout: forgotten(globalTimers.clearTimeout),
      setInterval: recorded(globalTimers.setInterval, 'interval'),
      clearInterval: forgotten(globalTimers.clearInterval),
    };
    const node = await createNodeServer(async () => new Response('ok'), { port: 0, drainTimeoutMs: 1234, timers });
    const closing = node.close();
    expect([...pending.values()].sort()).toEqual(['interval 50', 'timeout 1234']);
    await closing;
    expect(pending.size).toBe(0);
  });
});
