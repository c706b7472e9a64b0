/**
 * End-to-end pieces: the real `pulsesync-server` command as child processes, and sync
 * clients (fake-indexeddb replica + SyncManager + httpTransport, optionally behind the
 * chaos transport) talking to them over loopback.
 */
import { fileURLToPath } from 'node:url';
import { startServerProcess, type ServerProcess } from '../../tools/server-process.ts';
import { SyncManager } from '../../src/engine/sync-manager.ts';
import type { SyncConfigInput } from '../../src/engine/types.ts';
import type { JsonValue } from '../../src/protocol/types.ts';
import type { LocalStore } from '../../src/store/types.ts';
import { chaosTransport, type ChaosTransport } from '../../src/testing/chaos-transport.ts';
import { httpTransport } from '../../src/transport/http-transport.ts';
import type { SyncTransport } from '../../src/transport/types.ts';
import { wrapTransport } from '../../src/transport/wrap-transport.ts';
import { newReplica } from '../engine/fixtures.ts';
import { serverRecords } from '../support/server-records.ts';
import { waitFor } from '../support/wait.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const E2E_TOKEN = 'e2e-test-token-0123456789';
export const COLLECTIVE = 'notes';

/** Starts one `node bin/pulsesync-server.js` with `args` (e.g. `--db F` or `--postgres URL`). */
export function startCommand(args: readonly string[]): Promise<ServerProcess> {
  return startServerProcess(ROOT, args, E2E_TOKEN);
}

/** One device: a replica, its manager, and what its transport saw. */
export interface Device {
  readonly name: string;
  readonly replica: LocalStore;
  readonly manager: SyncManager;
  readonly chaos: ChaosTransport | undefined;
  /** Is the live channel open now? */
  readonly live: { connected: boolean; pullsInFlight: number; pullsDone: number };
  /** The device's records of {@link COLLECTIVE}, id → JSON of the value. */
  records(): Promise<Map<string, string>>;
  close(): Promise<void>;
}

/** Options of {@link newDevice}. */
export interface DeviceOptions {
  readonly config?: SyncConfigInput;
  /** Put the chaos transport (this seed) between the manager and HTTP. */
  readonly chaosSeed?: number;
}

/** Counts pulls and follows the live channel's state, for the poke test. */
function observed(inner: SyncTransport, live: Device['live']): SyncTransport {
  return wrapTransport(inner, {
    async call(call) {
      if (call.operation !== 'pull') return call.send();
      live.pullsInFlight += 1;
      try {
        return await call.send();
      } finally {
        live.pullsInFlight -= 1;
        live.pullsDone += 1;
      }
    },
    live: (handlers, open) =>
      open({
        onPoke: handlers.onPoke,
        onState: (connected) => {
          live.connected = connected;
          handlers.onState?.(connected);
        },
      }),
  });
}

/** A device syncing with the server at `url`. */
export async function newDevice(name: string, url: string, options: DeviceOptions = {}): Promise<Device> {
  const { replica } = await newReplica(`${name}-${Math.random().toString(36).slice(2)}`);
  const live = { connected: false, pullsInFlight: 0, pullsDone: 0 };
  const http = observed(httpTransport({ url, getToken: () => E2E_TOKEN, timeoutMs: 5_000, liveOptions: { initialDelayMs: 50, maxDelayMs: 1_000 } }), live);
  const chaos =
    options.chaosSeed === undefined
      ? undefined
      : chaosTransport(http, { seed: options.chaosSeed, dropRequestRate: 0.1, dropResponseRate: 0.1, duplicateRate: 0.1, delayMs: 15, operations: ['push', 'pull'] });
  const manager = new SyncManager(replica, chaos ?? http, {
    pushIntervalMs: 50,
    pullIntervalMs: 150,
    batchSize: 25,
    retry: { initialDelayMs: 20, maxDelayMs: 300 },
    ...options.config,
  });
  return {
    name,
    replica,
    manager,
    chaos,
    live,
    async records() {
      const entries = await replica.list(COLLECTIVE);
      return new Map(entries.map((e) => [e.id, JSON.stringify(e.value)]));
    },
    async close() {
      await manager.stop();
      replica.close();
    },
  };
}

/** The server's records of {@link COLLECTIVE}, id → JSON of the value. */
export async function serverView(url: string): Promise<Map<string, string>> {
  const records = await serverRecords({ url, token: E2E_TOKEN }, COLLECTIVE);
  return new Map([...records].map(([id, value]: [string, JsonValue]) => [id, JSON.stringify(value)]));
}

const asText = (map: Map<string, string>): string => JSON.stringify([...map].sort(([a], [b]) => (a < b ? -1 : 1)));

/**
 * Waits (bounded) until every device has pushed everything and holds exactly what the
 * server holds, as seen through each of `urls`.
 */
export async function waitForConvergence(devices: readonly Device[], urls: readonly string[], timeoutMs = 30_000): Promise<Map<string, string>> {
  let server = new Map<string, string>();
  await waitFor(
    'every device and every server process to hold the same records',
    async () => {
      const views = await Promise.all(urls.map((u) => serverView(u)));
      server = views[0] as Map<string, string>;
      const pending = await Promise.all(devices.map((d) => d.replica.pendingCount()));
      const local = await Promise.all(devices.map((d) => d.records()));
      const expected = asText(server);
      return {
        pending,
        serversAgree: views.every((v) => asText(v) === expected),
        behind: devices.filter((_, i) => asText(local[i] as Map<string, string>) !== expected).map((d) => d.name),
        serverCount: server.size,
      };
    },
    (state) => state.pending.every((n) => n === 0) && state.serversAgree && state.behind.length === 0,
    { timeoutMs, everyMs: 200 },
  );
  return server;
}
