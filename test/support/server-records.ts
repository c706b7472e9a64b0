/**
 * Reads what the server holds, over the wire from Node, as a brand-new replica would:
 * handshake with a fresh instance id, then pull a collective from cursor 0 until
 * `hasMore` is false. The test's independent view of the server, so it does not lean
 * on the SDK it checks.
 */
import { randomUUID } from 'node:crypto';
import { PROTOCOL_VERSION } from '../../src/protocol/types.ts';
import type { HandshakeResponse, JsonValue, PullResponse } from '../../src/protocol/types.ts';

/** Where the server is. */
export interface ServerAddress {
  readonly url: string;
  readonly token: string;
}

async function call<T>(server: ServerAddress, route: string, body: unknown): Promise<T> {
  const response = await fetch(`${server.url}/sync/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST /sync/${route}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** The live records of `collective` on the server, id → value, deletes left out. */
export async function serverRecords(server: ServerAddress, collective: string): Promise<Map<string, JsonValue>> {
  const instanceId = randomUUID();
  const hello = await call<HandshakeResponse>(server, 'handshake', { instanceId, protocolVersion: PROTOCOL_VERSION, capabilities: [] });
  if (!hello.accepted) throw new Error(`handshake refused: ${hello.reason ?? 'no reason'}`);
  const records = new Map<string, JsonValue>();
  let cursor = 0;
  for (let round = 0; round < 10_000; round++) {
    const batch = await call<PullResponse>(server, 'pull', { instanceId, cursor, batchSize: 1000, collectives: [collective] });
    for (const change of batch.changes) {
      if (change.op === 'delete') records.delete(change.id);
      else records.set(change.id, change.value ?? null);
    }
    cursor = batch.newCursor;
    if (!batch.hasMore) return records;
  }
  throw new Error('serverRecords: the feed never ended');
}
