/**
 * The sync protocol spoken straight over `fetch` from Node, with no SDK in between:
 * for seeding a server with data and for loading it in the benchmark.
 */
import { randomUUID } from 'node:crypto';
import { formatHlc, type Hlc } from '../src/clock/hlc.ts';
import { PROTOCOL_VERSION } from '../src/protocol/types.ts';

/** Where the server listens and how to authenticate. */
export interface ServerTarget {
  /** Base URL, e.g. `http://127.0.0.1:4123` (routes are `/sync/...` under it). */
  readonly url: string;
  readonly token?: string;
}

/** One answered request: status, parsed JSON (undefined if the body was not JSON) and its latency. */
export interface WireAnswer<T> {
  readonly status: number;
  readonly json: T | undefined;
  readonly ms: number;
}

function headers(target: ServerTarget): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json' };
  if (target.token !== undefined) h['authorization'] = `Bearer ${target.token}`;
  return h;
}

/** A timestamp at `wallMs` with `counter`, made by `node`. */
export function hlcAt(wallMs: number, counter: number, node: string): Hlc {
  return formatHlc({ wallMs, counter, node });
}

/** POSTs an already serialised `body` to `path` and times the answer. */
export async function post<T>(target: ServerTarget, path: string, body: string): Promise<WireAnswer<T>> {
  const start = performance.now();
  const response = await fetch(`${target.url}${path}`, { method: 'POST', headers: headers(target), body });
  const text = await response.text();
  const ms = performance.now() - start;
  let json: T | undefined;
  try {
    json = JSON.parse(text) as T;
  } catch {
    json = undefined;
  }
  return { status: response.status, json, ms };
}

/** Handshakes one new client (not timed); returns its instance id. */
export async function handshakeNewClient(target: ServerTarget): Promise<string> {
  const instanceId = randomUUID();
  const body = JSON.stringify({ instanceId, protocolVersion: PROTOCOL_VERSION, capabilities: ['total'] });
  const res = await post<{ accepted?: boolean }>(target, '/sync/handshake', body);
  if (res.status !== 200 || res.json?.accepted !== true) throw new Error(`handshake failed: HTTP ${res.status} ${JSON.stringify(res.json)}`);
  return instanceId;
}
