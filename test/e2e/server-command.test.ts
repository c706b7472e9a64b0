/**
 * End to end in Node: SyncManagers over httpTransport (+ chaos) against the real
 * `pulsesync-server` command — one process on SQLite, and two processes sharing one
 * PostgreSQL — converge; and a change pushed by one device reaches a live-connected
 * device through a poke, long before its (one-hour) pull interval.
 *
 * Seeded: `E2E_SEED=n npx vitest run test/e2e` replays a run; the seed is in each test name.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../../tools/server-process.ts';
import { seededRandom } from '../../src/testing/seeded-random.ts';
import { freshPostgresDatabase, postgresSkipReason } from '../setup/postgres.ts';
import { waitFor } from '../support/wait.ts';
import { COLLECTIVE, newDevice, startCommand, waitForConvergence, type Device } from './sync-cluster.ts';

const SEED = Number(process.env['E2E_SEED'] ?? 20261125);
const ONE_HOUR = 3_600_000;
/** Generous limits for a loaded CI machine; a healthy run takes a few seconds. */
const CONVERGE_TIMEOUT_MS = 60_000;
const POKE_TIMEOUT_MS = 45_000;

/**
 * Each device writes its own records (`<name>-<n>`) and fights over shared ones
 * (`shared-<k>`: puts from everyone, some deletes), with small random pauses, while
 * the background loops push and pull through the chaos transport.
 */
async function writeWorkload(devices: readonly Device[], seed: number, perDevice: number): Promise<void> {
  const random = seededRandom(seed);
  await Promise.all(
    devices.map(async (device, index) => {
      const r = random.fork(index);
      for (let n = 0; n < perDevice; n++) {
        await device.replica.put(COLLECTIVE, `${device.name}-${n}`, { by: device.name, n });
        const shared = `shared-${r.int(0, 7)}`;
        if (r.chance(0.2) && (await device.replica.get(COLLECTIVE, shared)) !== undefined) await device.replica.delete(COLLECTIVE, shared);
        else await device.replica.put(COLLECTIVE, shared, { by: device.name, n });
        if (r.chance(0.3)) await new Promise((resolve) => setTimeout(resolve, r.int(1, 25)));
      }
    }),
  );
}

/** Devices over `urls` (round robin) behind chaos, write, heal the network, converge. */
async function convergeScenario(urls: readonly string[], seed: number, devices: Device[]): Promise<void> {
  const names = ['ada', 'bob', 'cy', 'dee'];
  for (const [i, name] of names.entries()) devices.push(await newDevice(name, urls[i % urls.length] as string, { chaosSeed: seed + i }));
  for (const d of devices) d.chaos?.setFaults(false); // start() shakes hands: let that through
  await Promise.all(devices.map((d) => d.manager.start()));
  for (const d of devices) d.chaos?.setFaults(true);
  const perDevice = 20;
  await writeWorkload(devices, seed, perDevice);
  for (const d of devices) d.chaos?.setFaults(false);
  const server = await waitForConvergence(devices, urls, 40_000);
  for (const name of names) {
    for (let n = 0; n < perDevice; n++) expect(server.has(`${name}-${n}`), `${name}-${n} on the server (seed ${seed})`).toBe(true);
  }
  const faults = devices.reduce((sum, d) => sum + (d.chaos?.stats.droppedRequests ?? 0) + (d.chaos?.stats.droppedResponses ?? 0) + (d.chaos?.stats.duplicated ?? 0), 0);
  expect(faults, 'the chaos transport injected faults').toBeGreaterThan(0);
}

/**
 * Device `a` (on `urls[0]`) writes; device `b` (on the last url), whose pull interval is
 * an hour, must get the record through its live channel. `b` is first settled: its live
 * channel open and no pull in flight, so only a poke can start the pull that brings it.
 */
async function pokeScenario(urls: readonly string[], devices: Device[]): Promise<void> {
  const a = await newDevice('writer', urls[0] as string, { config: { pullIntervalMs: ONE_HOUR } });
  const b = await newDevice('watcher', urls[urls.length - 1] as string, { config: { pullIntervalMs: ONE_HOUR, pushIntervalMs: ONE_HOUR } });
  devices.push(a, b);
  await Promise.all([a.manager.start(), b.manager.start()]);
  // Settled: live, no pull in flight, and no new pull over a quiet spell (the pulls that
  // start() and the channel opening ask for are behind us).
  let settled = -1;
  for (let round = 0; round < 50 && settled < 0; round++) {
    const seen = await waitFor('the watcher live and idle', () => ({ ...b.live }), (live) => live.connected && live.pullsInFlight === 0 && live.pullsDone >= 1, { timeoutMs: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (b.live.pullsDone === seen.pullsDone && b.live.pullsInFlight === 0) settled = seen.pullsDone;
  }
  expect(settled, 'the watcher settled').toBeGreaterThan(0);
  const pullsBefore = b.live.pullsDone;
  const id = `poked-${Date.now()}`;
  await a.replica.put(COLLECTIVE, id, { hello: 'from the writer' });
  const got = await waitFor('the record on the watcher', () => b.replica.get(COLLECTIVE, id), (record) => record !== undefined, { timeoutMs: 15_000 });
  expect(got?.value).toEqual({ hello: 'from the writer' });
  expect(b.live.pullsDone).toBeGreaterThan(pullsBefore);
}

function cluster(): { devices: Device[]; processes: ServerProcess[]; stop(): Promise<void> } {
  const devices: Device[] = [];
  const processes: ServerProcess[] = [];
  return {
    devices,
    processes,
    async stop() {
      await Promise.all(devices.splice(0).map((d) => d.close().catch(() => undefined)));
    },
  };
}

describe('pulsesync-server on SQLite (one process)', () => {
  const c = cluster();
  let dir: string;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulsesync-e2e-'));
    const server = await startCommand(['--db', join(dir, 'e2e.db')]);
    c.processes.push(server);
    url = server.url;
  });
  afterAll(async () => {
    await c.stop();
    await Promise.all(c.processes.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it(`four devices behind a chaotic network converge (seed ${SEED})`, async () => {
    try {
      await convergeScenario([url], SEED, c.devices);
    } finally {
      await c.stop();
    }
  }, CONVERGE_TIMEOUT_MS);

  it('a change reaches a live-connected device through a poke, not the pull interval', async () => {
    await pokeScenario([url], c.devices);
  }, POKE_TIMEOUT_MS);
});

describe.skipIf(postgresSkipReason() !== undefined)('pulsesync-server on PostgreSQL (two processes, one database)', () => {
  const c = cluster();
  let urls: string[];

  beforeAll(async () => {
    const database = await freshPostgresDatabase('e2e');
    const processes = await Promise.all([startCommand(['--postgres', database]), startCommand(['--postgres', database])]);
    c.processes.push(...processes);
    urls = processes.map((p) => p.url);
  });
  afterAll(async () => {
    await c.stop();
    await Promise.all(c.processes.map((p) => p.stop()));
  });

  it(`four devices split over both processes behind a chaotic network converge (seed ${SEED + 1})`, async () => {
    try {
      await convergeScenario(urls, SEED + 1, c.devices);
    } finally {
      await c.stop();
    }
  }, CONVERGE_TIMEOUT_MS);

  it('a change pushed through one process pokes a device live on the other', async () => {
    await pokeScenario(urls, c.devices);
  }, POKE_TIMEOUT_MS);
});
