/**
 * Drives a pulsesync server over HTTP on loopback with N concurrent clients speaking
 * the wire protocol directly (no SDK), to measure the server alone: push and pull
 * throughput and request latency. Request bodies are built before the clock starts so
 * the load generator spends its CPU on the network, not on JSON.
 *
 * Clients speak through `node:http` with one keep-alive connection each, opened by the
 * handshake before the clock starts. Not `fetch`: under load undici's fetch spends
 * enough of this process's CPU per request to delay its own sends by hundreds of
 * milliseconds, and it opens new connections now and then, which a saturated Node
 * server accepts one per event-loop turn; both showed up as seconds of "server"
 * latency. `client: 'fetch'` measures that way all the same.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { promisify } from 'node:util';
import { brotliDecompress, unzip as zlibUnzip } from 'node:zlib';
import { PROTOCOL_VERSION, type PullResponse, type PushResponse, type SyncChange } from '../../src/protocol/types.ts';
import { benchId, benchValue } from '../../tools/records.ts';
import { hlcAt, post, type ServerTarget, type WireAnswer } from '../../tools/wire-client.ts';
import { treeTicks, TICKS_PER_SECOND } from './settle.ts';
import { percentile } from './stats.ts';

/** How the load generator's clients speak HTTP (see the file comment). */
export type LoadClient = 'node-http' | 'fetch';

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

/** One answer as it crossed the socket, and decoded. */
interface RawAnswer {
  readonly status: number;
  /** The `Content-Encoding` of the answer (`identity` when none). */
  readonly encoding: string;
  /** Body bytes as sent. */
  readonly bytes: number;
  readonly text: string;
  readonly ms: number;
}

const unzip = promisify(zlibUnzip);
const unbrotli = promisify(brotliDecompress);

/** POSTs `body` over `agent`; counts the answer's bytes as sent, then decodes it as a client would. */
function rawPost(agent: Agent, target: ServerTarget, path: string, body: string, extra: Record<string, string>): Promise<RawAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extra };
  if (target.token !== undefined) headers['authorization'] = `Bearer ${target.token}`;
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(`${target.url}${path}`), { method: 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const encoding = String(res.headers['content-encoding'] ?? 'identity');
        const decoded = encoding === 'br' ? unbrotli(raw) : encoding === 'gzip' || encoding === 'deflate' ? unzip(raw) : Promise.resolve(raw);
        decoded.then((text) => resolve({ status: res.statusCode ?? 0, encoding, bytes: raw.byteLength, text: text.toString('utf8'), ms: performance.now() - start }), reject);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The load's clients' way to the server. */
interface Wire {
  post<T>(path: string, body: string): Promise<WireAnswer<T>>;
  close(): void;
}

/** What undici's fetch asks for over plain http (browsers add br over https only). */
const FETCH_ACCEPT_ENCODING = 'gzip, deflate';

function openWire(target: ServerTarget, client: LoadClient = 'node-http', acceptEncoding = FETCH_ACCEPT_ENCODING): Wire {
  if (client === 'fetch') return { post: (path, body) => post(target, path, body), close: () => undefined };
  // One connection per client at most, kept alive, as a browser keeps one to its server.
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const accept = { 'accept-encoding': acceptEncoding };
  return {
    async post<T>(path: string, body: string): Promise<WireAnswer<T>> {
      const answer = await rawPost(agent, target, path, body, accept);
      let json: T | undefined;
      try {
        json = JSON.parse(answer.text) as T;
      } catch {
        json = undefined;
      }
      return { status: answer.status, json, ms: answer.ms };
    },
    close: () => agent.destroy(),
  };
}

/** Handshakes `count` new clients at once (not timed); returns their instance ids. */
async function handshakeClients(wire: Wire, count: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const instanceId = randomUUID();
      const res = await wire.post<{ accepted?: boolean }>('/sync/handshake', JSON.stringify({ instanceId, protocolVersion: PROTOCOL_VERSION, capabilities: ['total'] }));
      if (res.status !== 200 || res.json?.accepted !== true) throw new Error(`handshake failed: HTTP ${res.status} ${JSON.stringify(res.json)}`);
      return instanceId;
    }),
  );
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
  /** Default `node-http`. */
  readonly client?: LoadClient;
}

/** Every client's push bodies, built up front: client c, request r, a batch of new records (its own ids) from seq 1. */
function pushBodies(ids: readonly string[], options: Omit<PushLoadOptions, 'clients'>): string[][] {
  const wall = Date.now();
  return ids.map((instanceId, c) => {
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
}

/**
 * `clients` clients each push `requestsPerClient` batches of new records (each client
 * its own ids), all clients at once. Returns throughput and latency.
 */
export async function pushLoad(target: ServerTarget, options: PushLoadOptions): Promise<LoadResult> {
  const result = await serverLoad(target, { ...options, mode: 'push-only', maxMs: Number.POSITIVE_INFINITY });
  return result.push;
}

/** Options of {@link pullLoad}. */
export interface PullLoadOptions {
  readonly clients: number;
  /** Pull requests per client, following the cursor from a spread-out start. */
  readonly requestsPerClient: number;
  readonly batch: number;
  /** Highest version on the server: clients start at spread-out cursors below it. */
  readonly latestVersion: number;
  /** Default `node-http`. */
  readonly client?: LoadClient;
}

/**
 * `clients` new clients each pull `requestsPerClient` pages of `batch` changes, all at
 * once, each starting from its own cursor spread across the feed and following
 * `newCursor` (wrapping to 0 at the end), so the server reads different rows at once.
 */
export async function pullLoad(target: ServerTarget, options: PullLoadOptions): Promise<LoadResult> {
  const wire = openWire(target, options.client);
  const ids = await handshakeClients(wire, options.clients);
  const span = Math.max(0, options.latestVersion - options.batch * options.requestsPerClient);
  const latencies: number[] = [];
  let records = 0;
  let errors = 0;
  const start = performance.now();
  await Promise.all(
    ids.map(async (instanceId, c) => {
      let cursor = Math.floor((span * c) / options.clients);
      for (let r = 0; r < options.requestsPerClient; r++) {
        const res = await wire.post<PullResponse>('/sync/pull', JSON.stringify({ instanceId, cursor, batchSize: options.batch }));
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
  const ms = performance.now() - start;
  wire.close();
  return summarise(options.clients, latencies, records, ms, errors);
}

/** Options of {@link serverLoad}. */
export interface ServerLoadOptions {
  readonly clients: number;
  /**
   * `mixed`: each client pushes a batch, then pulls one page after its own cursor, and
   * again (what a syncing app does); `push-only`: pushes alone, back to back.
   */
  readonly mode: 'mixed' | 'push-only';
  /** Most pushes per client (each followed by a pull when mixed). */
  readonly requestsPerClient: number;
  /** No client starts another round after this many milliseconds. */
  readonly maxMs: number;
  /** Changes per push. */
  readonly batch: number;
  /** JSON bytes per record value. */
  readonly bytes: number;
  /** Page size of each pull. Default 500 (the client's default). */
  readonly pullBatch?: number;
  /** Default `load`. */
  readonly collective?: string;
  /** Default `node-http`. */
  readonly client?: LoadClient;
  /** What `node-http` clients send as `Accept-Encoding`. Default `gzip, deflate`, as Node's fetch does over http. */
  readonly acceptEncoding?: string;
  /**
   * CPU milliseconds the server has used so far (e.g. {@link childrenCpuMs}), read
   * before and after the clients run: the server's CPU per request is steadier than its
   * latency on a machine shared with other work.
   */
  readonly serverCpuMs?: () => number;
}

/** Outcome of {@link serverLoad}: pushes and pulls counted apart. */
export interface ServerLoadResult {
  readonly mode: ServerLoadOptions['mode'];
  readonly clients: number;
  readonly ms: number;
  readonly push: LoadResult;
  /** Undefined for push-only. */
  readonly pull: LoadResult | undefined;
  /**
   * CPU this process (the load generator) used while the clients ran, in milliseconds
   * (user and system): what it took from the machine the server shares.
   */
  readonly generatorCpuMs: number;
  /** CPU the server used while the clients ran, in milliseconds; NaN unless `serverCpuMs` was given. */
  readonly serverCpuMs: number;
}

/**
 * CPU milliseconds used so far by every process this one started (and theirs), from
 * /proc, at 10 ms resolution: the server's, when it is the only child (as in the bench's
 * server sections, Chromium being idle by then). 0 where /proc is unreadable.
 */
export function childrenCpuMs(): number {
  return (treeTicks(process.pid) * 1000) / TICKS_PER_SECOND;
}

/**
 * `clients` clients on `target` at once, each for at most `requestsPerClient` rounds
 * and `maxMs` (whichever ends first): a push of `batch` new records, then (mixed) a
 * pull of one page after its cursor, which holds the other clients' records. Returns
 * throughput and p50/p99 latency of pushes and of pulls.
 */
export async function serverLoad(target: ServerTarget, options: ServerLoadOptions): Promise<ServerLoadResult> {
  const collective = options.collective ?? 'load';
  const pullBatch = options.pullBatch ?? 500;
  const wire = openWire(target, options.client, options.acceptEncoding);
  const ids = await handshakeClients(wire, options.clients);
  const bodies = pushBodies(ids, { ...options, collective });
  const pushes = { latencies: [] as number[], records: 0, errors: 0 };
  const pulls = { latencies: [] as number[], records: 0, errors: 0 };
  const cpuBefore = process.cpuUsage();
  const serverBefore = options.serverCpuMs?.() ?? Number.NaN;
  const start = performance.now();
  const deadline = start + options.maxMs;
  await Promise.all(
    ids.map(async (instanceId, c) => {
      let cursor = 0;
      for (const body of bodies[c] as string[]) {
        if (performance.now() >= deadline) break;
        const pushed = await wire.post<PushResponse>('/sync/push', body);
        pushes.latencies.push(pushed.ms);
        if (pushed.status === 200 && pushed.json !== undefined) pushes.records += pushed.json.accepted;
        else pushes.errors++;
        if (options.mode === 'push-only') continue;
        const pulled = await wire.post<PullResponse>('/sync/pull', JSON.stringify({ instanceId, cursor, batchSize: pullBatch }));
        pulls.latencies.push(pulled.ms);
        if (pulled.status === 200 && pulled.json !== undefined) {
          pulls.records += pulled.json.changes.length;
          cursor = pulled.json.newCursor;
        } else pulls.errors++;
      }
    }),
  );
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const serverCpuMs = (options.serverCpuMs?.() ?? Number.NaN) - serverBefore;
  wire.close();
  return {
    mode: options.mode,
    generatorCpuMs: (cpu.user + cpu.system) / 1000,
    serverCpuMs,
    clients: options.clients,
    ms,
    push: summarise(options.clients, pushes.latencies, pushes.records, ms, pushes.errors),
    pull: options.mode === 'push-only' ? undefined : summarise(options.clients, pulls.latencies, pulls.records, ms, pulls.errors),
  };
}

/** Options of {@link pullWireBytes}. */
export interface PullWireBytesOptions {
  /** Records pushed, then pulled back in one page. */
  readonly records: number;
  /** JSON bytes per record value. */
  readonly bytes: number;
  /** What the pulling client sends as `Accept-Encoding` (`identity` for none). */
  readonly acceptEncoding: string;
}

/** Bytes one pull page took on the wire, as the server sent it. */
export interface PullWireBytes {
  readonly records: number;
  /** The `Content-Encoding` the server chose (`identity` when none). */
  readonly encoding: string;
  /** Body bytes as sent (compressed when encoded). */
  readonly bodyBytes: number;
  readonly bytesPerRecord: number;
}

/**
 * Pushes `records` bench records from one new client, pulls them back in one page from
 * another with `acceptEncoding`, and counts the page's body bytes as they crossed the
 * socket (before decoding; the decoded page is checked to hold every record).
 */
export async function pullWireBytes(target: ServerTarget, options: PullWireBytesOptions): Promise<PullWireBytes> {
  const wire = openWire(target);
  const agent = new Agent({ keepAlive: false });
  try {
    const [writer, reader] = (await handshakeClients(wire, 2)) as [string, string];
    const [bodies] = pushBodies([writer], { requestsPerClient: 1, batch: options.records, bytes: options.bytes, collective: 'wire' }) as [string[]];
    const pushed = await wire.post<PushResponse>('/sync/push', bodies[0] as string);
    if (pushed.status !== 200) throw new Error(`seeding push failed: HTTP ${pushed.status}`);
    const pull = JSON.stringify({ instanceId: reader, cursor: 0, batchSize: options.records, collectives: ['wire'] });
    const answer = await rawPost(agent, target, '/sync/pull', pull, { 'accept-encoding': options.acceptEncoding });
    if (answer.status !== 200) throw new Error(`pull failed: HTTP ${answer.status}`);
    if ((JSON.parse(answer.text) as PullResponse).changes.length !== options.records) throw new Error('the pull did not carry every record pushed');
    return { records: options.records, encoding: answer.encoding, bodyBytes: answer.bytes, bytesPerRecord: answer.bytes / options.records };
  } finally {
    wire.close();
    agent.destroy();
  }
}
