/**
 * Seeds the sync server over the wire, as any client would: one handshake for a
 * throwaway instance, then pushes of valid changes in batches. The demo uses it for its
 * "Seed server with 20,000 records" button, so there is something to watch during an
 * initial sync.
 */
import { randomUUID } from 'node:crypto';
import { formatHlc } from '../src/clock/hlc.ts';
import { ErrorCode, SyncError, isSyncErrorData } from '../src/protocol/errors.ts';
import { PROTOCOL_VERSION } from '../src/protocol/types.ts';
import type { PushResponse, SyncChange } from '../src/protocol/types.ts';

/** The collective seeded records go to (the todo list stays readable). */
export const SEED_COLLECTIVE = 'archive';

/** Options of {@link seedServer}. */
export interface SeedOptions {
  /** Base URL of the sync server. */
  readonly url: string;
  readonly token: string;
  /** How many records to write. */
  readonly count: number;
  /** Changes per push. Default 500 (the SDK's default batch size). */
  readonly batchSize?: number;
}

/** What a seeding run wrote. */
export interface SeedResult {
  readonly seeded: number;
  readonly ms: number;
}

const WORDS = ['offline', 'replica', 'cursor', 'batch', 'worker', 'merge', 'clock', 'draft', 'idea', 'plan'];

/** Writes `count` archived notes to the server. Throws a SyncError when it refuses. */
export async function seedServer(options: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const instanceId = randomUUID();
  const run = instanceId.slice(0, 8);
  const batchSize = options.batchSize ?? 500;
  await post(options, '/sync/handshake', { instanceId, protocolVersion: PROTOCOL_VERSION, capabilities: [] });
  let seeded = 0;
  for (let from = 0; from < options.count; from += batchSize) {
    const changes: SyncChange[] = [];
    const wallMs = Date.now();
    for (let i = from; i < Math.min(from + batchSize, options.count); i++) {
      changes.push({
        seq: i + 1,
        source: instanceId,
        collective: SEED_COLLECTIVE,
        id: `${run}-${String(i).padStart(6, '0')}`,
        op: 'put',
        value: { title: `Archived note ${i + 1}`, body: `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]}`, done: i % 3 === 0 },
        hlc: formatHlc({ wallMs, counter: i - from, node: instanceId }),
        baseVersion: null,
      });
    }
    const response = (await post(options, '/sync/push', { instanceId, policy: 'last-write-wins', changes })) as PushResponse;
    seeded += response.accepted;
  }
  return { seeded, ms: Math.round(performance.now() - started) };
}

async function post(options: SeedOptions, path: string, body: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${options.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
      body: JSON.stringify(body),
    });
  } catch (cause) {
    throw new SyncError(ErrorCode.TRANSPORT, `could not reach the sync server at ${options.url}: ${String(cause)}`, { cause });
  }
  const json: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const error = typeof json === 'object' && json !== null ? (json as { error?: unknown }).error : undefined;
    if (isSyncErrorData(error)) throw SyncError.from(error);
    throw new SyncError(ErrorCode.TRANSPORT, `${path} answered HTTP ${response.status}`);
  }
  return json;
}
