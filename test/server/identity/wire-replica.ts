/**
 * A replica reduced to the wire: it numbers its changes, keeps the instance key a
 * handshake gives it (and sends it back, as a client must), pulls with a cursor, and
 * remembers what it holds. Enough to play several users and replicas against a server
 * over HTTP, through a real socket or a fetch handler, without the engine.
 */
import { randomUUID } from 'node:crypto';
import { formatHlc } from '../../../src/clock/hlc.ts';
import { PROTOCOL_VERSION, type JsonValue, type PulledChange, type SyncChange } from '../../../src/protocol/types.ts';

/** How a request reaches the server: `fetch` on a base URL, or a fetch handler. */
export type Send = (path: string, init: RequestInit) => Promise<Response>;

/** A server over a real socket at `baseUrl`. */
export function overSocket(baseUrl: string): Send {
  return (path, init) => fetch(`${baseUrl}${path}`, init);
}

/** A server as a fetch handler, called directly. */
export function overHandler(handler: (request: Request) => Promise<Response>): Send {
  return (path, init) => handler(new Request(`http://sync.test${path}`, init));
}

/** An answer: its status and parsed body. */
export interface Answer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T & { readonly error?: { readonly code: string; readonly message: string; readonly details?: Record<string, unknown> } };
}

let wall = 1_700_000_000_000;

/** A fresh replica id. */
export const newInstanceId = (): string => randomUUID();

/** Posts `body` to `route` with `token`. */
export async function post<T = Record<string, unknown>>(send: Send, route: string, token: string, body: unknown): Promise<Answer<T>> {
  const response = await send(`/sync/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer<T>['body'] };
}

/** A replica speaking the wire protocol as `token`. */
export class WireReplica {
  readonly instanceId: string;
  /** The key the last handshake gave, sent with every push and pull. */
  instanceKey: string | undefined;
  seq = 0;
  cursor = 0;
  /** What this replica holds: `collective/id` → value (null for a delete). */
  readonly holds = new Map<string, JsonValue>();

  constructor(
    readonly send: Send,
    readonly token: string,
    instanceId = newInstanceId(),
  ) {
    this.instanceId = instanceId;
  }

  /** Another replica with this one's id, key, counters and data: a copied profile. */
  copy(): WireReplica {
    const twin = new WireReplica(this.send, this.token, this.instanceId);
    twin.instanceKey = this.instanceKey;
    twin.seq = this.seq;
    twin.cursor = this.cursor;
    for (const [key, value] of this.holds) twin.holds.set(key, value);
    return twin;
  }

  async handshake(extra: Record<string, unknown> = {}): Promise<Answer> {
    const answer = await post(this.send, 'handshake', this.token, {
      instanceId: this.instanceId,
      protocolVersion: PROTOCOL_VERSION,
      capabilities: ['live', 'instance-key'],
      ...(this.instanceKey === undefined ? {} : { instanceKey: this.instanceKey }),
      ...extra,
    });
    const key = answer.body['instanceKey'];
    if (answer.status === 200 && typeof key === 'string') this.instanceKey = key;
    return answer;
  }

  /** The next change of this replica: a put of `value` at `collective/id`. */
  change(collective: string, id: string, value: JsonValue, hlc?: string): SyncChange {
    return {
      seq: ++this.seq,
      source: this.instanceId,
      collective,
      id,
      op: 'put',
      value,
      hlc: hlc ?? formatHlc({ wallMs: ++wall, counter: 0, node: this.instanceId.slice(0, 8) }),
      baseVersion: null,
    };
  }

  /** Writes locally and pushes: one change per `[collective, id, value]`. */
  async write(...puts: readonly (readonly [string, string, JsonValue])[]): Promise<Answer<{ accepted: number; ackedSeq: number; newCursor: number; rejected: unknown[] }>> {
    const changes = puts.map(([collective, id, value]) => this.change(collective, id, value));
    for (const change of changes) this.holds.set(`${change.collective}/${change.id}`, change.value ?? null);
    return this.push(changes);
  }

  /** Pushes `changes` as they are, under `instanceId` (default this replica's, with its key). */
  push(changes: readonly SyncChange[], instanceId = this.instanceId): Promise<Answer<{ accepted: number; ackedSeq: number; newCursor: number; rejected: unknown[] }>> {
    return post(this.send, 'push', this.token, {
      instanceId,
      ...(this.instanceKey === undefined ? {} : { instanceKey: this.instanceKey }),
      policy: 'last-write-wins',
      changes,
    });
  }

  /** One pull from the cursor; applies what comes and moves the cursor when answered 200. */
  async pullOnce(extra: Record<string, unknown> = {}): Promise<Answer<{ changes: PulledChange[]; hasMore: boolean; newCursor: number }>> {
    const answer = await post<{ changes: PulledChange[]; hasMore: boolean; newCursor: number }>(this.send, 'pull', this.token, {
      instanceId: this.instanceId,
      ...(this.instanceKey === undefined ? {} : { instanceKey: this.instanceKey }),
      cursor: this.cursor,
      batchSize: 100,
      ...extra,
    });
    if (answer.status !== 200) return answer;
    for (const change of answer.body.changes) this.holds.set(`${change.collective}/${change.id}`, change.value ?? null);
    this.cursor = answer.body.newCursor;
    return answer;
  }

  /** Pulls until no more (bounded); returns every change pulled. Throws on a refusal. */
  async pullAll(extra: Record<string, unknown> = {}): Promise<PulledChange[]> {
    const pulled: PulledChange[] = [];
    for (let page = 0; page < 1000; page++) {
      const answer = await this.pullOnce(extra);
      if (answer.status !== 200) throw new Error(`pull refused ${answer.status}: ${JSON.stringify(answer.body.error)}`);
      pulled.push(...answer.body.changes);
      if (!answer.body.hasMore) return pulled;
    }
    throw new Error('pullAll: too many pages');
  }

  /** What it holds in `collective`, as a sorted object (for comparisons). */
  view(collective: string): Record<string, JsonValue> {
    const entries = [...this.holds].filter(([key]) => key.startsWith(`${collective}/`)).sort(([a], [b]) => a.localeCompare(b));
    return Object.fromEntries(entries);
  }
}
