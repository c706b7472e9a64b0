/** Puts a Node HTTP server on 127.0.0.1 at a free port (loopback only, port 0). */
import type { Server } from 'node:http';

/** Listens on 127.0.0.1:0; resolves to the base URL, `http://127.0.0.1:PORT`. */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no port');
  return `http://127.0.0.1:${address.port}`;
}
