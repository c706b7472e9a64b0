/**
 * One device's own way to the server, for an engine whose automation has no offline
 * switch (WebKit over WebDriver classic): a TCP forwarder on 127.0.0.1 in front of the
 * server (or its counting proxy) that can be cut — every open connection dropped, new
 * ones refused — and restored, without touching any other device.
 */
import { createServer, connect, type Socket } from 'node:net';

/** A running link. */
export interface NetworkLink {
  /** Base URL the device uses instead of the target's. */
  readonly url: string;
  /** Drops every open connection and refuses new ones until {@link restore}. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** Starts a link to `target` (`http://127.0.0.1:PORT`) on a free port. */
export async function startNetworkLink(target: string): Promise<NetworkLink> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  let isCut = false;
  const server = createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    const remote = connect(Number(upstream.port), upstream.hostname);
    for (const socket of [client, remote]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      // A reset on one side ends the other; nothing to report.
      socket.on('error', () => undefined);
    }
    client.pipe(remote).pipe(client);
    client.once('close', () => remote.destroy());
    remote.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the link has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    cut() {
      isCut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      isCut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
