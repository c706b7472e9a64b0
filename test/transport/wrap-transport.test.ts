import { describe, expect, it } from 'vitest';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../src/protocol/types.ts';
import { createSyncServer } from '../../src/server/sync-server.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { memoryTransport } from '../../src/transport/memory-transport.ts';
import type { LiveHandlers } from '../../src/transport/types.ts';
import { isCallOf, wrapTransport, type TransportOperation } from '../../src/transport/wrap-transport.ts';

const me = '01900000-0000-7000-8000-000000000001';
const hello = { instanceId: me, protocolVersion: PROTOCOL_VERSION, capabilities: [] };

function server() {
  return createSyncServer({ store: memoryServerStore() });
}

describe('wrapTransport', () => {
  it('sees every call with its operation and request, and passes the answer back', async () => {
    const seen: { operation: TransportOperation; request: unknown }[] = [];
    const transport = wrapTransport(memoryTransport(server()), {
      call(call) {
        seen.push({ operation: call.operation, request: call.request });
        return call.send();
      },
    });
    expect(await transport.handshake(hello)).toMatchObject({ accepted: true });
    expect(await transport.push({ instanceId: me, policy: 'last-write-wins', changes: [] })).toMatchObject({ accepted: 0 });
    expect(await transport.pull({ instanceId: me, cursor: 0, batchSize: 5 })).toMatchObject({ changes: [], hasMore: false });
    expect(await transport.health()).toMatchObject({ ok: true });
    expect(seen).toEqual([
      { operation: 'handshake', request: hello },
      { operation: 'push', request: { instanceId: me, policy: 'last-write-wins', changes: [] } },
      { operation: 'pull', request: { instanceId: me, cursor: 0, batchSize: 5 } },
      { operation: 'health', request: undefined },
    ]);
  });

  it('lets a wrapper refuse a call without sending it, or send it twice', async () => {
    const sent: TransportOperation[] = [];
    const inner = wrapTransport(memoryTransport(server()), {
      call(call) {
        sent.push(call.operation);
        return call.send();
      },
    });
    const transport = wrapTransport(inner, {
      async call(call) {
        if (call.operation === 'push') throw new SyncError(ErrorCode.TRANSPORT, 'offline');
        if (isCallOf(call, 'pull')) {
          expect(call.request.cursor).toBe(0);
          await call.send();
        }
        return call.send();
      },
    });
    await expect(transport.push({ instanceId: me, policy: 'last-write-wins', changes: [] })).rejects.toMatchObject({ code: 'TRANSPORT' });
    await transport.pull({ instanceId: me, cursor: 0, batchSize: 1 });
    expect(sent).toEqual(['pull', 'pull']);
  });

  it('passes the live channel through, or around the wrapper, and offers none when the inner has none', async () => {
    const plain = wrapTransport(memoryTransport(server()), {});
    const states: boolean[] = [];
    plain.live?.({ onPoke: () => undefined, onState: (c) => states.push(c) })();
    expect(states).toEqual([true]);

    const opened: LiveHandlers[] = [];
    const around = wrapTransport(memoryTransport(server()), {
      live(handlers, open) {
        opened.push(handlers);
        return open(handlers);
      },
    });
    around.live?.({ onPoke: () => undefined })();
    expect(opened).toHaveLength(1);

    expect(wrapTransport(memoryTransport(server(), { live: false }), { live: (h, open) => open(h) }).live).toBeUndefined();
  });
});
