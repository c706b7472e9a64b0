/**
 * The network half of an initial sync, without the replica: pull the whole feed over
 * HTTP from the page, parse and validate each response as the HTTP transport does,
 * apply nothing. Beside the store-alone apply figure, it shows which half limits the
 * end-to-end sync.
 */
import { PROTOCOL_VERSION } from '../../src/protocol/types.ts';
import { parsePullResponse } from '../../src/protocol/validate.ts';

/** What one wire pull run measured. */
export interface WirePullRun {
  readonly ms: number;
  readonly pulled: number;
  readonly requests: number;
  /** Time inside JSON.parse + validation, summed over the responses. */
  readonly parseMs: number;
}

async function post(url: string, token: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${text.slice(0, 200)}`);
  return text;
}

/** Pulls the feed from cursor 0 to the end in pages of `batch`; ms and counts. */
export async function wirePull(options: { url: string; token: string; batch: number }): Promise<WirePullRun> {
  const instanceId = crypto.randomUUID();
  await post(`${options.url}/sync/handshake`, options.token, { instanceId, protocolVersion: PROTOCOL_VERSION, capabilities: ['total'] });
  let cursor = 0;
  let pulled = 0;
  let requests = 0;
  let parseMs = 0;
  const start = performance.now();
  // Bounded: a feed of 10M rows at batch 1 would still end; a server that never says
  // hasMore=false is stopped after 100k requests.
  for (let hasMore = true; hasMore && requests < 100_000; requests++) {
    const text = (await post(`${options.url}/sync/pull`, options.token, { instanceId, cursor, batchSize: options.batch })) as string;
    const t = performance.now();
    const response = parsePullResponse(JSON.parse(text));
    parseMs += performance.now() - t;
    pulled += response.changes.length;
    cursor = response.newCursor;
    hasMore = response.hasMore;
  }
  return { ms: performance.now() - start, pulled, requests, parseMs };
}
