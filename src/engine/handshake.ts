/**
 * The handshake: the first message of every session, where client and server check
 * that they speak the same protocol and the server says who it is. The replica tells
 * its identity (id, instance key, write counter) and keeps the key the server issues.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { PROTOCOL_VERSION, type Capability, type InstanceId, type InstanceKey } from '../protocol/types.ts';
import type { LocalStore } from '../store/types.ts';
import type { SyncTransport } from '../transport/types.ts';

/** What the client announces it can do. */
export const CLIENT_CAPABILITIES: readonly Capability[] = ['live', 'total', 'server-wins', 'instance-key'];

/**
 * Whom a session's pushes and pulls come from: the id it shook hands as, with the key
 * the server answered (or the one held, when the server binds no keys and ignores it).
 */
export interface Sender {
  readonly instanceId: InstanceId;
  readonly instanceKey?: InstanceKey;
}

/** A session agreed at handshake. */
export interface SyncSession {
  readonly serverId: string;
  readonly capabilities: readonly string[];
  readonly sender: Sender;
}

/**
 * Shakes hands as `store`'s current identity, and keeps the instance key the server
 * answers (the one sent, or a fresh one). Fails `PROTOCOL_VERSION` when the server
 * speaks another version, `HANDSHAKE_REJECTED` with the server's reason when it refuses
 * for any other reason, and as the server does (`INSTANCE_CLONED`, say) when it throws.
 */
export async function handshake(transport: SyncTransport, store: LocalStore): Promise<SyncSession> {
  const { lastSeq, ...sent } = await store.identity();
  const response = await transport.handshake({
    ...sent,
    protocolVersion: PROTOCOL_VERSION,
    capabilities: [...CLIENT_CAPABILITIES],
    lastSeq,
  });
  if (response.protocolVersion !== PROTOCOL_VERSION) {
    throw new SyncError(
      ErrorCode.PROTOCOL_VERSION,
      `Server protocol ${response.protocolVersion}, client ${PROTOCOL_VERSION}: update the ${response.protocolVersion > PROTOCOL_VERSION ? 'client' : 'server'}`,
      { details: { client: PROTOCOL_VERSION, server: response.protocolVersion } },
    );
  }
  if (!response.accepted) {
    throw new SyncError(
      ErrorCode.HANDSHAKE_REJECTED,
      `The server refused the handshake: ${response.reason ?? 'no reason given'}`,
      response.reason === undefined ? {} : { details: { reason: response.reason } },
    );
  }
  let { instanceKey } = response;
  // Another tab may have kept a key first: use that one, the one the first push binds.
  if (instanceKey !== undefined && instanceKey !== sent.instanceKey) instanceKey = (await store.saveInstanceKey(sent.instanceId, instanceKey, sent.instanceKey)) ?? instanceKey;
  return { serverId: response.serverId, capabilities: response.capabilities, sender: instanceKey === undefined ? sent : { instanceId: sent.instanceId, instanceKey } };
}
