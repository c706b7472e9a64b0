/** Handshakes and pulls with one field spoiled: wrong types, missing, out of range, unknown. */
import { handshake, pull, type HostileCase } from './requests.ts';

const invalid = (name: string, request: () => Request): HostileCase => ({ name, request, status: 400, code: 'INVALID_PAYLOAD' });

/** A copy of `body` without `field`. */
function without(body: Record<string, unknown>, field: string): Record<string, unknown> {
  const copy = { ...body };
  delete copy[field];
  return copy;
}

export const HANDSHAKE_CASES: readonly HostileCase[] = [
  invalid('a handshake without an instance id', () => handshake((b) => without(b, 'instanceId'))),
  invalid('a handshake whose instance id is not a UUID', () => handshake((b) => ({ ...b, instanceId: 'me' }))),
  invalid('a handshake whose instance id is a number', () => handshake((b) => ({ ...b, instanceId: 7 }))),
  { name: 'a handshake with protocol version 0', request: () => handshake((b) => ({ ...b, protocolVersion: 0 })), status: 409, code: 'PROTOCOL_VERSION' },
  invalid('a handshake with the protocol version as a string', () => handshake((b) => ({ ...b, protocolVersion: '1' }))),
  { name: 'a protocol version from the future', request: () => handshake((b) => ({ ...b, protocolVersion: 99 })), status: 409, code: 'PROTOCOL_VERSION' },
  { name: 'a protocol version of 1.5', request: () => handshake((b) => ({ ...b, protocolVersion: 1.5 })), status: 409, code: 'PROTOCOL_VERSION' },
  invalid('a handshake without capabilities', () => handshake((b) => without(b, 'capabilities'))),
  invalid('capabilities that are not a list', () => handshake((b) => ({ ...b, capabilities: 'live' }))),
  invalid('a capability that is not a string', () => handshake((b) => ({ ...b, capabilities: [42] }))),
  invalid('a capability of 65 characters', () => handshake((b) => ({ ...b, capabilities: ['c'.repeat(65)] }))),
  invalid('65 capabilities', () => handshake((b) => ({ ...b, capabilities: Array.from({ length: 65 }, (_, i) => `c${i}`) }))),
  invalid('a handshake with an unknown field', () => handshake((b) => ({ ...b, admin: true }))),
];

export const PULL_CASES: readonly HostileCase[] = [
  invalid('a cursor given as a string', () => pull({ cursor: '0' })),
  invalid('a negative cursor', () => pull({ cursor: -1 })),
  invalid('a fractional cursor', () => pull({ cursor: 1.5 })),
  invalid('a cursor past 2^53', () => pull({ cursor: 2 ** 53 + 2 })),
  invalid('a null cursor', () => pull({ cursor: null })),
  invalid('a pull without a cursor', () => pull({ cursor: undefined })),
  { name: 'a cursor from the future', request: () => pull({ cursor: 1_000_000 }), status: 409, code: 'CURSOR_AHEAD' },
  invalid('a batchSize of 0', () => pull({ batchSize: 0 })),
  invalid('a negative batchSize', () => pull({ batchSize: -5 })),
  invalid('a fractional batchSize', () => pull({ batchSize: 2.5 })),
  invalid('a batchSize of a million', () => pull({ batchSize: 1_000_000 })),
  invalid('a batchSize given as a string', () => pull({ batchSize: '100' })),
  invalid('a pull without a batchSize', () => pull({ batchSize: undefined })),
  invalid('a pull whose instance id is not a UUID', () => pull({ instanceId: 'me' })),
  invalid('a pull whose instance id is an object', () => pull({ instanceId: { id: 1 } })),
  invalid('a pull without an instance id', () => pull({ instanceId: undefined })),
  invalid('collectives that are not a list', () => pull({ collectives: 'notes' })),
  invalid('an empty collective name', () => pull({ collectives: [''] })),
  invalid('a collective name of 129 characters', () => pull({ collectives: ['c'.repeat(129)] })),
  invalid('a pull naming a collective that is a number', () => pull({ collectives: [7] })),
  invalid('1,001 collectives', () => pull({ collectives: Array.from({ length: 1001 }, (_, i) => `c${i}`) })),
  invalid('withTotal given as a string', () => pull({ withTotal: 'yes' })),
  invalid('a pull with an unknown field', () => pull({ since: 0 })),
];
