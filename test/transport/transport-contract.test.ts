/**
 * The transport contract (src/testing/transport-contract.ts) on every transport: the
 * memory transport, the HTTP transport against the real fetch handler on 127.0.0.1,
 * and the memory transport behind a pass-through wrapper.
 */
import { createFetchHandler } from '../../src/server/http/fetch-handler.ts';
import { createNodeServer } from '../../src/server/node/node-server.ts';
import { runTransportContract } from '../../src/testing/transport-contract.ts';
import { httpTransport } from '../../src/transport/http-transport.ts';
import { memoryTransport } from '../../src/transport/memory-transport.ts';
import { wrapTransport } from '../../src/transport/wrap-transport.ts';

runTransportContract((server, { timeoutMs, timers }) => ({ transport: memoryTransport(server, { timeoutMs, timers }) }), 'memoryTransport');

runTransportContract(async (server, { timeoutMs, timers }) => {
  const handler = createFetchHandler(server);
  const node = await createNodeServer(handler, { host: '127.0.0.1', port: 0, drainTimeoutMs: 1_000 });
  return {
    transport: httpTransport({ url: node.url, timeoutMs, timers }),
    async close() {
      node.server.closeAllConnections();
      await node.close();
    },
  };
}, 'httpTransport (fetch handler on 127.0.0.1)');

runTransportContract(
  (server, { timeoutMs, timers }) => ({ transport: wrapTransport(memoryTransport(server, { timeoutMs, timers }), {}) }),
  'memoryTransport behind wrapTransport',
);
