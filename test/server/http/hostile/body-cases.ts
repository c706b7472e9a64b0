/** Bodies that are not a message at all, and bodies over the size limits. */
import { newInstanceId, pushBody } from '../wire-messages.ts';
import { chunkedBody, post, postJson, validChange, type HostileCase } from './requests.ts';

const bad = (name: string, route: string, body: string | Uint8Array, headers: Record<string, string> = {}): HostileCase => ({
  name,
  request: () => post(route, body, headers),
  status: 400,
  code: 'INVALID_PAYLOAD',
});

export const BODY_CASES: readonly HostileCase[] = [
  bad('malformed JSON', 'push', '{"instanceId": '),
  bad('an empty body', 'push', ''),
  bad('bytes that are not UTF-8', 'push', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])),
  bad('an overlong UTF-8 encoding', 'pull', new Uint8Array([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d])),
  bad('a UTF-16 surrogate encoded in UTF-8', 'pull', new Uint8Array([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d])),
  bad('a non-JSON content type', 'push', JSON.stringify(pushBody(newInstanceId(), [])), { 'content-type': 'text/plain' }),
  bad('a form content type', 'pull', 'instanceId=x&cursor=0', { 'content-type': 'application/x-www-form-urlencoded' }),
  bad('a multipart content type', 'push', '--b\r\n\r\n{}\r\n--b--', { 'content-type': 'multipart/form-data; boundary=b' }),
  { name: 'a JSON array instead of an object', request: () => postJson('push', [validChange(newInstanceId())]), status: 400, code: 'INVALID_PAYLOAD' },
  { name: 'JSON null', request: () => postJson('pull', null), status: 400, code: 'INVALID_PAYLOAD' },
  bad('a JSON string', 'handshake', '"hello"'),
  bad('a JSON number', 'pull', '42'),
  bad('JSON true', 'push', 'true'),
  bad('trailing garbage after the object', 'pull', '{"cursor":0} trailing'),
  bad('two objects back to back', 'pull', '{}{}'),
  bad('a comment in the JSON', 'pull', '{/* hi */"cursor":0}'),
  bad('single-quoted JSON', 'pull', "{'cursor':0}"),
  bad('a NaN literal', 'pull', '{"cursor":NaN}'),
  bad('an unquoted key', 'pull', '{cursor:0}'),
  bad('a lone opening brace', 'push', '{'),
  // Sizes.
  { name: 'an oversized body (Content-Length)', request: () => post('push', ' '.repeat(100 * 1024)), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'an oversized body streamed without Content-Length', request: () => post('push', chunkedBody(200 * 1024)), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'an oversized pull body', request: () => post('pull', `{"pad":"${'x'.repeat(70 * 1024)}"}`), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'an oversized handshake body', request: () => post('handshake', `{"pad":"${'x'.repeat(70 * 1024)}"}`), status: 413, code: 'PAYLOAD_TOO_LARGE' },
];
