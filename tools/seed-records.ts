/**
 * Fills a server with the deterministic benchmark records over the wire, from Node:
 * what a large initial sync (a browser test, a benchmark) starts from.
 */
import type { PushResponse, SyncChange } from '../src/protocol/types.ts';
import { benchId, benchValue } from './records.ts';
import { handshakeNewClient, hlcAt, post, type ServerTarget } from './wire-client.ts';

/** Options of {@link seedRecords}. */
export interface SeedOptions {
  readonly count: number;
  /** JSON bytes per record value. */
  readonly bytes: number;
  readonly collective: string;
  /** Changes per push. Default 500. */
  readonly batch?: number;
  /** Clients pushing at once. Default 4. */
  readonly clients?: number;
}

/**
 * Seeds `count` benchmark records (`benchRecords`, ids `r0000000…`) into `collective`
 * over the wire: a few Node clients pushing batches of `batch` at once. Fast enough for
 * 100k in seconds, and no browser involved. Returns the server's latest version.
 */
export async function seedRecords(target: ServerTarget, options: SeedOptions): Promise<number> {
  const batch = options.batch ?? 500;
  const clients = options.clients ?? 4;
  const ids = await Promise.all(Array.from({ length: clients }, () => handshakeNewClient(target)));
  const batches = Math.ceil(options.count / batch);
  let next = 0;
  let latest = 0;
  const wall = Date.now();
  await Promise.all(
    ids.map(async (instanceId) => {
      let seq = 0;
      // Each client takes the next unclaimed batch until none is left (bounded by `batches`).
      for (let b = next++; b < batches; b = next++) {
        const changes: SyncChange[] = [];
        for (let i = b * batch; i < Math.min(options.count, (b + 1) * batch); i++) {
          seq++;
          changes.push({
            seq,
            source: instanceId,
            collective: options.collective,
            id: benchId(i),
            op: 'put',
            value: benchValue(i, options.bytes),
            hlc: hlcAt(wall, seq, instanceId),
            baseVersion: null,
          });
        }
        const res = await post<PushResponse>(target, '/sync/push', JSON.stringify({ instanceId, policy: 'last-write-wins', changes }));
        if (res.status !== 200 || res.json === undefined || res.json.accepted !== changes.length) {
          throw new Error(`seeding failed: HTTP ${res.status} ${JSON.stringify(res.json).slice(0, 300)}`);
        }
        latest = Math.max(latest, res.json.newCursor);
      }
    }),
  );
  return latest;
}
