/**
 * The handshake: the first message of every session, where client and server check
 * that they speak the same protocol and the server says who it is.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { PROTOCOL_VERSION, type Capability, type InstanceId } from '../protocol/types.ts';
import type { SyncTransport } from '../transport/types.ts';

/** What the client announces it can do. */
export const CLIENT_CAPABILITIES: readonly Capability[] = ['live', 'total', 'server-wins'];

/** A session agreed at handshake. */
export interface SyncSession {
  readonly serverId: string;
  readonly capabilities: readonly string[];
}

/**
 * Shakes hands. Fails `PROTOCOL_VERSION` when the server speaks another version, and
 * `HANDSHAKE_REJECTED` with the server's reason when it refuses for any other reason.
 */
export async function handshake(transport: SyncTransport, instanceId: InstanceId): Promise<SyncSession> {
  const response = await transport.handshake({
    instanceId,
    protocolVersion: PROTOCOL_VERSION,
    capabilities: [...CLIENT_CAPABILITIES],
  });
  if (response.protocolVersion !== PROTOCOL_VERSION) {
    throw new SyncError(
      ErrorCode.PROTOCOL_VERSION,
      `The server speaks sync protocol version ${response.protocolVersion}, this client ${PROTOCOL_VERSION}: update the ${response.protocolVersion > PROTOCOL_VERSION ? 'client' : 'server'}`,
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
  return { serverId: response.serverId, capabilities: response.capabilities };
}
