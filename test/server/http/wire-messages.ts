/**
 * Valid wire messages for HTTP tests, to be sent as they are or spoiled one field at a
 * time, plus a snapshot of a store's data to prove a refused request changed nothing.
 */
import { randomUUID } from 'node:crypto';
import { formatHlc } from '../../../src/clock/hlc.ts';
import { PROTOCOL_VERSION, type JsonValue, type SyncChange } from '../../../src/protocol/types.ts';
import type { ServerRecord, ServerStore } from '../../../src/server/types.ts';

/** A fresh replica id (UUID v4 passes the validator's UUID check). */
export const newInstanceId = (): string => randomUUID();

/** A put of `value` to `collective/id` as change `seq` of `source`. */
export function putChange(source: string, seq: number, id: string, value: JsonValue, collective = 'notes'): SyncChange {
  return { seq, source, collective, id, op: 'put', value, hlc: formatHlc({ wallMs: 1_700_000_000_000 + seq, counter: 0, node: source }), baseVersion: null };
}

/** A push body of `changes` from `source`. */
export function pushBody(source: string, changes: readonly SyncChange[]): Record<string, unknown> {
  return { instanceId: source, policy: 'last-write-wins', changes };
}

/** A handshake body. */
export function handshakeBody(instanceId: string, protocolVersion = PROTOCOL_VERSION): Record<string, unknown> {
  return { instanceId, protocolVersion, capabilities: ['live'] };
}

/** Everything a store holds: its latest version and every row in version order. */
export async function storeSnapshot(store: ServerStore): Promise<{ latestVersion: number; rows: readonly ServerRecord[] }> {
  const page = await store.readChanges({ after: 0, limit: 100_000 });
  return { latestVersion: await store.latestVersion(), rows: page.rows };
}
