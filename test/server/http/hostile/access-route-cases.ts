/** Requests without a valid identity, and requests for routes or methods that do not exist. */
import { handshakeBody, newInstanceId, pushBody } from '../wire-messages.ts';
import { BASE, call, postJson, TOKEN, validChange, type HostileCase } from './requests.ts';

const unauthorized = (name: string, request: () => Request): HostileCase => ({ name, request, status: 401, code: 'UNAUTHORIZED' });
const validPush = (): Record<string, unknown> => {
  const source = newInstanceId();
  return pushBody(source, [validChange(source) as never]);
};
const validPull = (): Record<string, unknown> => ({ instanceId: newInstanceId(), cursor: 0, batchSize: 10 });

export const IDENTITY_CASES: readonly HostileCase[] = [
  unauthorized('a push with no token', () => postJson('push', validPush(), { authorization: '' })),
  unauthorized('a push with a bad token', () => postJson('push', validPush(), { authorization: 'Bearer guess' })),
  unauthorized('a push with the token in lower-case "bearer"', () => postJson('push', validPush(), { authorization: `bearer ${TOKEN}` })),
  unauthorized('a push with the token and a suffix', () => postJson('push', validPush(), { authorization: `Bearer ${TOKEN}x` })),
  unauthorized('a push with the token as Basic credentials', () => postJson('push', validPush(), { authorization: `Basic ${TOKEN}` })),
  unauthorized('a push with the token given twice', () => postJson('push', validPush(), { authorization: `Bearer ${TOKEN}, Bearer ${TOKEN}` })),
  unauthorized('a pull with a bad token', () => postJson('pull', validPull(), { authorization: `Basic ${TOKEN}` })),
  unauthorized('a pull with a token prefix', () => postJson('pull', validPull(), { authorization: `Bearer ${TOKEN.slice(0, -1)}` })),
  unauthorized('a handshake with no token', () => postJson('handshake', handshakeBody(newInstanceId()), { authorization: '' })),
  unauthorized('the live channel with no token', () => new Request(`${BASE}/sync/live`)),
  unauthorized('a malformed push with no token (identity first)', () => postJson('push', 'not even a message', { authorization: '' })),
];

export const ROUTE_CASES: readonly HostileCase[] = [
  { name: 'an unknown route', request: () => postJson('drop-everything', {}), status: 404, code: 'NOT_FOUND' },
  { name: 'the bare /sync path', request: () => call('POST', '/sync', '{}'), status: 404, code: 'NOT_FOUND' },
  { name: 'the root path', request: () => call('GET', '/'), status: 404, code: 'NOT_FOUND' },
  { name: 'a route with a trailing slash', request: () => call('POST', '/sync/push/', JSON.stringify(validPush())), status: 404, code: 'NOT_FOUND' },
  { name: 'a route in upper case', request: () => call('POST', '/SYNC/PUSH', JSON.stringify(validPush())), status: 404, code: 'NOT_FOUND' },
  { name: 'a route below health', request: () => call('GET', '/sync/health/extra'), status: 404, code: 'NOT_FOUND' },
  { name: 'a GET of a POST route', request: () => call('GET', '/sync/push'), status: 405, code: 'NOT_FOUND' },
  { name: 'a PUT of the pull route', request: () => call('PUT', '/sync/pull', JSON.stringify(validPull())), status: 405, code: 'NOT_FOUND' },
  { name: 'a DELETE of the push route', request: () => call('DELETE', '/sync/push'), status: 405, code: 'NOT_FOUND' },
  { name: 'a POST to health', request: () => call('POST', '/sync/health', '{}'), status: 405, code: 'NOT_FOUND' },
  { name: 'a POST to the live channel', request: () => call('POST', '/sync/live', '{}'), status: 405, code: 'NOT_FOUND' },
];
