/**
 * Drives a pulsesync server over HTTP on loopback with N concurrent clients speaking
 * the wire protocol directly (no SDK), to measure the server alone: push and pull
 * throughput and request latency. Request bodies are built before the clock starts so
 * the load generator spends its CPU on the network, not on JSON.
 */
import type { PullResponse, PushResponse, SyncChange } from '../../src/protocol/types.ts';
import { benchId, benchValue } from '../../tools/records.ts';
import { handshakeNewClient, hlcAt, post, type ServerTarget } from '../../tools/wire-client.ts';
import { percentile } from './stats.ts';

/** Outcome of one load phase. */
export interface LoadResult {
  readonly clients: number;
  readonly requests: number;
  /** Records pushed (accepted) or pulled. */
  readonly records: number;
  readonly ms: number;
  readonly recordsPerSec: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

function summarise(clients: number, latencies: number[], records: number, ms: number, errors: number): LoadResult {
  return {
    clients,
    requests: latencies.length,
    records,
    ms,
    recordsPerSec: (records * 1000) / ms,
    requestsPerSec: (latencies.length * 1000) / ms,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors,
  };
}

/** Options of {@link pushLoad}. */
export interface PushLoadOptions {
  readonly clients: number;
  /** Push requests per client, one after another. */
  readonly requestsPerClient: number;
  /** Changes per push. */
  readonly batch: number;
  /** JSON bytes per record value. */
  readonly bytes: number;
  /** Collective the records go to. */
  readonly collective: string;
}

/**
 * `clients` clients each push `requestsPerClient` batches of new records (each client
 * its own ids), all clients at once. Returns throughput and latency.
 */
export async function pushLoad(target: ServerTarget, options: PushLoadOptions): Promise<LoadResult> {
  const ids = await Promise.all(Array.from({ length: options.clients }, () => handshakeNewClient(target)));
  const wall = Date.now();
  // Pre-build every body: client c, request r, change k.
  const bodies: string[][] = ids.map((instanceId, c) => {
    const perClient: string[] = [];
    for (let r = 0; r < options.requestsPerClient; r++) {
      const changes: SyncChange[] = [];
      for (let k = 0; k < options.batch; k++) {
        const seq = r * options.batch + k + 1;
        const index = (c * options.requestsPerClient + r) * options.batch + k;
        changes.push({
          seq,
          source: instanceId,
          collective: options.collective,
          id: `c${c}-${benchId(seq)}`,
          op: 'put',
          value: benchValue(index, options.bytes),
          hlc: hlcAt(wall, seq, instanceId),
          baseVersion: null,
        });
      }
      perClient.push(JSON.stringify({ instanceId, policy: 'last-write-wins', changes }));
    }
    return perClient;
  });
  const latencies: number[] = [];
  let records = 0;
  let errors = 0;
  const start = performance.now();
  await Promise.all(
    bodies.map(async (perClient) => {
      for (const body of perClient) {
        const res = await post<PushResponse>(target, '/sync/push', body);
        latencies.push(res.ms);
        if (res.status === 200 && res.json !== undefined) records += res.json.accepted;
        else errors++;
      }
    }),
  );
  return summarise(options.clients, latencies, records, performance.now() - start, errors);
}

/** Options of {@link pullLoad}. */
export interface PullLoadOptions {
  readonly clients: number;
  /** Pull requests per client, following the cursor from a spread-out start. */
  readonly requestsPerClient: number;
  readonly batch: number;
  /** Highest version on the server: clients start at spread-out cursors below it. */
  readonly latestVersion: number;
}

/**
 * `clients` new clients each pull `requestsPerClient` pages of `batch` changes, all at
 * once, each starting from its own cursor spread across the feed and following
 * `newCursor` (wrapping to 0 at the end), so the server reads different rows at once.
 */
export async function pullLoad(target: ServerTarget, options: PullLoadOptions): Promise<LoadResult> {
  const ids = await Promise.all(Array.from({ length: options.clients }, () => handshakeNewClient(target)));
  const span = Math.max(0, options.latestVersion - options.batch * options.requestsPerClient);
  const latencies: number[] = [];
  let records = 0;
  let errors = 0;
  const start = performance.now();
  await Promise.all(
    ids.map(async (instanceId, c) => {
      let cursor = Math.floor((span * c) / options.clients);
      for (let r = 0; r < options.requestsPerClient; r++) {
        const body = JSON.stringify({ instanceId, cursor, batchSize: options.batch });
        const res = await post<PullResponse>(target, '/sync/pull', body);
        latencies.push(res.ms);
        if (res.status !== 200 || res.json === undefined) {
          errors++;
          continue;
        }
        records += res.json.changes.length;
        cursor = res.json.hasMore ? res.json.newCursor : 0;
      }
    }),
  );
  return summarise(options.clients, latencies, records, performance.now() - start, errors);
}
