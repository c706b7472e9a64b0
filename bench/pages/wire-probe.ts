/**
 * The sync protocol spoken from the page with `fetch`, no SDK: the network half of an
 * initial sync measured alone (pull the whole feed, parse and validate each page as the
 * HTTP transport does, apply nothing), and the pull pages the RxDB peer replicates from.
 */
import { PROTOCOL_VERSION } from '../../src/protocol/types.ts';
import { parsePullResponse } from '../../src/protocol/validate.ts';

/** Where the server is. */
export interface PageServer {
  readonly url: string;
  readonly token: string;
}

async function post(server: PageServer, path: string, body: unknown): Promise<string> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
    body: JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
  return text;
}

/** Handshakes a new instance; returns its id. */
export async function handshake(server: PageServer): Promise<string> {
  const instanceId = crypto.randomUUID();
  await post(server, '/sync/handshake', { instanceId, protocolVersion: PROTOCOL_VERSION, capabilities: ['total'] });
  return instanceId;
}

/** One pull page, as the server's JSON text. */
export function pullPage(server: PageServer, instanceId: string, cursor: number, batchSize: number): Promise<string> {
  return post(server, '/sync/pull', { instanceId, cursor, batchSize });
}

/** What one wire pull run measured. */
export interface WirePullRun {
  readonly ms: number;
  readonly pulled: number;
  readonly requests: number;
  /** Time inside JSON.parse + validation, summed over the responses. */
  readonly parseMs: number;
}

/** Pulls the feed from cursor 0 to the end in pages of `batch`; ms and counts. */
export async function wirePull(options: PageServer & { batch: number }): Promise<WirePullRun> {
  const instanceId = await handshake(options);
  let cursor = 0;
  let pulled = 0;
  let requests = 0;
  let parseMs = 0;
  const start = performance.now();
  // Bounded: a server that never says hasMore=false is left after 100k requests.
  for (let hasMore = true; hasMore && requests < 100_000; requests++) {
    const text = await pullPage(options, instanceId, cursor, options.batch);
    const t = performance.now();
    const response = parsePullResponse(JSON.parse(text));
    parseMs += performance.now() - t;
    pulled += response.changes.length;
    cursor = response.newCursor;
    hasMore = response.hasMore;
  }
  return { ms: performance.now() - start, pulled, requests, parseMs };
}
