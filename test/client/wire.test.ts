/**
 * The page↔worker wire speaks Comlink 4's protocol: a Comlink client calls what
 * `serveWire` serves (a function it passes with `Comlink.proxy` is called back), and
 * `wireCaller` calls what `Comlink.expose` serves (a function it passes with `proxied`
 * likewise); failures keep their data, and a released function lets go of its port.
 */
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { fromWire, proxied, raw, releaseRemote, serveWire, wireCaller } from '../../src/worker-api/wire.ts';

/** An API as the worker serves one: it calls back what it is given, and fails with plain data. */
function api() {
  let kept: (() => Promise<unknown>) | undefined;
  return {
    add: (a: number, b: number) => a + b,
    ask: async (callback: (x: number) => Promise<number>) => {
      kept = callback as () => Promise<unknown>;
      return (await callback(20)) + 1;
    },
    fail: async () => {
      throw { code: 'FORBIDDEN', message: 'no' };
    },
    broken: () => {
      throw new TypeError('not like that');
    },
    uncloneable: () => () => 'a function cannot be posted',
    release: () => releaseRemote(kept),
  };
}

describe('the wire', () => {
  it('answers a Comlink client, calling back its proxied function', async () => {
    const { port1, port2 } = new MessageChannel();
    serveWire(api(), port1, fromWire);
    const remote = Comlink.wrap<ReturnType<typeof api>>(port2);
    expect(await remote.add(2, 3)).toBe(5);
    expect(await remote.ask(Comlink.proxy(async (x: number) => x * 2))).toBe(41);
    await expect(remote.fail()).rejects.toEqual({ code: 'FORBIDDEN', message: 'no' });
    await expect(remote.broken()).rejects.toMatchObject({ name: 'TypeError', message: 'not like that' });
    remote[Comlink.releaseProxy]();
    port2.close();
  });

  it('calls what Comlink exposes, passing a function of its own', async () => {
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(api(), port1);
    const call = wireCaller(port2);
    expect(await call('APPLY', ['add'], [raw(2), raw(3)])).toBe(5);
    const transfer: Transferable[] = [];
    expect(await call('APPLY', ['ask'], [proxied(async (x: number) => x * 3, transfer)], transfer)).toBe(61);
    await expect(call('APPLY', ['fail'])).rejects.toEqual({ code: 'FORBIDDEN', message: 'no' });
    port2.close();
  });

  it('lets go of a function received: its port closes on both sides', async () => {
    const { port1, port2 } = new MessageChannel();
    serveWire(api(), port1, fromWire);
    const call = wireCaller(port2);
    const { port1: calledBack, port2: sent } = new MessageChannel();
    serveWire(async (x: number) => x, calledBack, fromWire);
    const closed = new Promise((resolve) => calledBack.addEventListener('close', resolve));
    expect(await call('APPLY', ['ask'], [{ type: 'HANDLER', name: 'proxy', value: sent }], [sent])).toBe(21);
    await call('APPLY', ['release']);
    await closed;
    port2.close();
  });

  it('answers a value it cannot post with a TypeError, as Comlink does', async () => {
    const { port1, port2 } = new MessageChannel();
    serveWire(api(), port1, fromWire);
    const call = wireCaller(port2);
    await expect(call('APPLY', ['uncloneable'])).rejects.toMatchObject({ name: 'TypeError', message: 'Unserializable return value' });
    const remote = Comlink.wrap<ReturnType<typeof api>>(port2);
    await expect(remote.uncloneable()).rejects.toMatchObject({ name: 'TypeError', message: 'Unserializable return value' });
    port2.close();
  });
});
