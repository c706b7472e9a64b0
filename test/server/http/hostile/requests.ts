/**
 * What the hostile-input table is made of: the case shape, the callers (a writer, a
 * reader, nobody), and builders that spoil one valid message at a time. Every push gets
 * a fresh instance id, so a case never meets another case's applied seq.
 */
import { formatHlc } from '../../../../src/clock/hlc.ts';
import { collectiveAccess, fullAccess, type Authenticate } from '../../../../src/server/access.ts';
import { handshakeBody, newInstanceId, pushBody, putChange } from '../wire-messages.ts';

export const TOKEN = 'hostile-test-token';
export const READER_TOKEN = 'reader-only-token';
export const BASE = 'http://sync.test';
/** The server's wall clock in the table (clock drift is judged against it). */
export const NOW = 1_800_000_000_000;
/** The tight handler's body cap; the server takes 50 changes a push and values of 1 KiB. */
export const LIMITS = { maxBodyBytes: 64 * 1024, maxPushChanges: 50, maxValueBytes: 1024 };

/** Bearer TOKEN is the writer; READER_TOKEN may read `notes` and write nothing. */
export const authenticate: Authenticate = (request) => {
  const header = request.headers.get('authorization');
  if (header === `Bearer ${TOKEN}`) return fullAccess('writer');
  if (header === `Bearer ${READER_TOKEN}`) return collectiveAccess('reader', { read: ['notes'], write: [] });
  return null;
};

/** One row of the table. */
export interface HostileCase {
  readonly name: string;
  readonly request: () => Request;
  /** The status answered. 200 means a push whose changes are refused one by one. */
  readonly status: number;
  /** The error code; for status 200, the `reason` every change is refused with. */
  readonly code: string;
  /**
   * A request built to be costly (huge lists, deep nesting, many nodes): sent through a
   * handler with the default body cap (16 MB), while a concurrent health request measures
   * how long the event loop is held.
   */
  readonly cost?: true;
}

type Body = string | ReadableStream<Uint8Array> | Uint8Array;

export function post(route: string, body: Body, headers: Record<string, string> = {}): Request {
  return new Request(`${BASE}/sync/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
}

export const postJson = (route: string, body: unknown, headers: Record<string, string> = {}): Request => post(route, JSON.stringify(body), headers);

/** A request to `path` (under the base) with `method`, as the writer. */
export function call(method: string, path: string, body?: string): Request {
  return new Request(`${BASE}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body }) });
}

/** A valid handshake body, spoiled by `spoil`. */
export const handshake = (spoil: (body: Record<string, unknown>) => unknown = (b) => b): Request => postJson('handshake', spoil(handshakeBody(newInstanceId())));

/** A valid pull body with `fields` set (or removed, when undefined). */
export function pull(fields: Record<string, unknown>, headers: Record<string, string> = {}): Request {
  return postJson('pull', { instanceId: newInstanceId(), cursor: 0, batchSize: 100, ...fields }, headers);
}

/** A valid change of a fresh source at the table's clock. */
export function validChange(source: string, seq = 1, id = 'x'): Record<string, unknown> {
  return { ...putChange(source, seq, id, { ok: true }), hlc: formatHlc({ wallMs: NOW, counter: seq, node: 'n' }) };
}

/** A push of one valid change spoiled by `spoil`. */
export function pushOne(spoil: (change: Record<string, unknown>) => unknown, headers: Record<string, string> = {}): Request {
  const source = newInstanceId();
  return postJson('push', { ...pushBody(source, []), changes: [spoil(validChange(source))] }, headers);
}

/** A valid push of one change with its body spoiled by `spoil`. */
export function pushWith(spoil: (body: Record<string, unknown>) => unknown): Request {
  const source = newInstanceId();
  return postJson('push', spoil(pushBody(source, [validChange(source) as never])));
}

/** A body larger than `bytes`, streamed with no Content-Length. */
export function chunkedBody(bytes: number): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode(' '.repeat(8 * 1024));
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
}

/** `depth` objects nested in each other around a string. */
export function deeplyNested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { v: value };
  return value;
}

/** A JSON list of `count` copies of `item`, as text (built without a giant array). */
export const repeatedList = (item: string, count: number): string => `[${`${item},`.repeat(count - 1)}${item}]`;
