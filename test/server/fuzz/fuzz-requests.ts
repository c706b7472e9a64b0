/**
 * Requests for the server fuzz: valid handshakes, pulls and pushes, then mutated —
 * fields removed, replaced by random JSON or by values at the edges (sizes, clocks,
 * characters no store keeps), the text cut or spoiled — or random altogether: any route,
 * method, identity and content type. Everything is drawn by fast-check, so a seed
 * replays a run exactly.
 */
import fc from 'fast-check';
import { formatHlc } from '../../../src/clock/hlc.ts';

/** The server's clock in the fuzz (clock drift is judged against it). */
export const NOW = 1_800_000_000_000;
export const WRITER_TOKEN = 'fuzz-writer';
export const READER_TOKEN = 'fuzz-reader';
export const BASE = 'http://sync.fuzz';

/** A few replicas, so pushes meet each other's records and applied seqs. */
export const INSTANCES = ['0190f5e1-0000-7000-8000-0000000000a1', '0190f5e1-0000-7000-8000-0000000000b2', '0190f5e1-0000-7000-8000-0000000000c3'];
const COLLECTIVES = ['notes', 'todos', 'secrets'];

/** One drawn request, as plain data (printed by fast-check when a run fails). */
export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly auth: string | undefined;
  readonly contentType: string | undefined;
  readonly body: string | undefined;
}

const hlcNear = fc
  .record({
    offset: fc.oneof({ arbitrary: fc.integer({ min: -86_400_000, max: 300_000 }), weight: 6 }, { arbitrary: fc.integer({ min: 300_001, max: 10 ** 9 }), weight: 1 }),
    counter: fc.integer({ min: 0, max: 999_999 }),
  })
  .map(({ offset, counter }) => formatHlc({ wallMs: NOW + offset, counter, node: 'n' }));

const change = (source: string, seq: number) =>
  fc
    .record({
      collective: fc.constantFrom(...COLLECTIVES),
      id: fc.constantFrom('a', 'b', 'c', 'd'),
      put: fc.boolean(),
      value: fc.jsonValue({ maxDepth: 2 }),
      hlc: hlcNear,
      baseVersion: fc.option(fc.nat({ max: 50 }), { nil: null }),
    })
    .map(({ put, value, ...rest }) => ({ seq, source, ...rest, op: put ? 'put' : 'delete', ...(put ? { value } : {}) }));

const push = fc
  .record({ source: fc.constantFrom(...INSTANCES), first: fc.integer({ min: 1, max: 30 }), count: fc.integer({ min: 0, max: 6 }), policy: fc.constantFrom('last-write-wins', 'server-wins') })
  .chain(({ source, first, count, policy }) =>
    fc.tuple(...Array.from({ length: count }, (_, i) => change(source, first + i))).map((changes) => ({ instanceId: source, policy, changes })),
  );

const pull = fc.record(
  {
    instanceId: fc.constantFrom(...INSTANCES),
    cursor: fc.nat({ max: 8 }),
    batchSize: fc.integer({ min: 1, max: 20 }),
    collectives: fc.subarray(COLLECTIVES),
    withTotal: fc.boolean(),
  },
  { requiredKeys: ['instanceId', 'cursor', 'batchSize'] },
);

const handshake = fc.record({ instanceId: fc.constantFrom(...INSTANCES), protocolVersion: fc.constant(1), capabilities: fc.subarray(['live', 'total', 'server-wins']) });

/** Values at the edges of what a field takes. */
const EDGES: readonly unknown[] = [
  -1,
  0,
  1.5,
  2 ** 53,
  -(2 ** 53),
  1e308,
  '',
  'x'.repeat(600),
  'no\u0000tes',
  'a\ud800b',
  null,
  true,
  [],
  {},
  '999999999999999:999999:zzzz',
  formatHlc({ wallMs: NOW + 3_600_000, counter: 0, node: 'n' }),
  'c'.repeat(129),
  { __proto__: null, admin: true },
];

type Json = unknown;
/** The value type of an arbitrary. */
type Drawn<A> = A extends fc.Arbitrary<infer T> ? T : never;

/** Every path in `value`, the root included. */
function paths(value: Json, at: (string | number)[] = [], into: (string | number)[][] = []): (string | number)[][] {
  into.push(at);
  if (Array.isArray(value)) value.forEach((item, i) => paths(item, [...at, i], into));
  else if (typeof value === 'object' && value !== null) for (const [key, item] of Object.entries(value)) paths(item, [...at, key], into);
  return into;
}

/** `value` with `path` set to `replace(old)`, or removed when `replace` answers `undefined`. */
function edit(value: Json, path: readonly (string | number)[], replace: (old: Json) => Json): Json {
  if (path.length === 0) return replace(value);
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(value)) {
    const copy = [...(value as Json[])];
    const next = edit(copy[head as number], rest, replace);
    if (next === undefined && rest.length === 0) copy.splice(head as number, 1);
    else copy[head as number] = next;
    return copy;
  }
  const copy = { ...(value as Record<string, Json>) };
  const next = edit(copy[head], rest, replace);
  if (next === undefined) delete copy[head];
  else copy[head] = next;
  return copy;
}

const mutation = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('remove', 'random', 'edge', 'wrap', 'duplicate', 'add-key'),
  random: fc.jsonValue({ maxDepth: 2 }),
  edge: fc.constantFrom(...EDGES),
});

/** Applies one drawn mutation to a JSON value. */
function mutate(value: Json, m: Drawn<typeof mutation>): Json {
  const all = paths(value);
  const path = all[m.at % all.length] as (string | number)[];
  return edit(value, path, (old) => {
    switch (m.kind) {
      case 'remove':
        return undefined;
      case 'random':
        return m.random;
      case 'edge':
        return m.edge;
      case 'wrap':
        return [old];
      case 'duplicate':
        return Array.isArray(old) && old.length > 0 ? [...(old as Json[]), old[0]] : old;
      case 'add-key':
        return typeof old === 'object' && old !== null && !Array.isArray(old) ? { ...old, extra: m.random } : old;
    }
  });
}

const textSpoil = fc.record({
  kind: fc.constantFrom('none', 'none', 'none', 'none', 'none', 'cut', 'insert', 'drop'),
  at: fc.nat(),
  text: fc.string({ minLength: 1, maxLength: 3, unit: 'binary' }),
});

/** Spoils the JSON text itself. */
function spoilText(text: string, s: Drawn<typeof textSpoil>): string {
  const at = text.length === 0 ? 0 : s.at % text.length;
  if (s.kind === 'cut') return text.slice(0, at);
  if (s.kind === 'insert') return text.slice(0, at) + s.text + text.slice(at);
  if (s.kind === 'drop') return text.slice(0, at) + text.slice(at + 1);
  return text;
}

const ROUTES = { handshake, pull, push } as const;

// Mostly the writer and JSON, so that most requests get past the door and meet the rules.
const identity = fc.oneof(
  { arbitrary: fc.constant<string | undefined>(WRITER_TOKEN), weight: 12 },
  { arbitrary: fc.constantFrom<string | undefined>(READER_TOKEN, READER_TOKEN, undefined, 'guess'), weight: 4 },
);
const contentType = fc.oneof(
  { arbitrary: fc.constant<string | undefined>('application/json'), weight: 12 },
  { arbitrary: fc.constantFrom<string | undefined>(undefined, 'text/plain'), weight: 1 },
);

/** A valid message for one of the three routes, often mutated 1–3 times, sometimes spoiled as text. */
const mutatedRequest = fc.constantFrom<keyof typeof ROUTES>('handshake', 'pull', 'push', 'push', 'push').chain((route) =>
  fc.record({
    route: fc.constant(route),
    body: ROUTES[route] as fc.Arbitrary<Json>,
    mutations: fc.oneof({ arbitrary: fc.constant<Drawn<typeof mutation>[]>([]), weight: 2 }, { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }), weight: 3 }),
    spoil: textSpoil,
    auth: identity,
    contentType,
  }).map(({ route, body, mutations, spoil, auth, contentType }): FuzzRequest => ({
    method: 'POST',
    path: `/sync/${route}`,
    auth,
    contentType,
    body: spoilText(JSON.stringify(mutations.reduce(mutate, body)) ?? '', spoil),
  })),
);

/** Anything: any method and path, any text. */
const randomRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
  path: fc.oneof(fc.constantFrom('/sync/push', '/sync/pull', '/sync/handshake', '/sync/health', '/sync/live', '/sync', '/'), fc.webPath()),
  auth: identity,
  contentType,
  body: fc.option(fc.oneof(fc.string({ unit: 'binary' }), fc.jsonValue().map((v) => JSON.stringify(v))), { nil: undefined }),
}).map((r): FuzzRequest => (r.method === 'GET' || r.method === 'HEAD' ? { ...r, body: undefined } : r));

/** What the fuzz sends: mostly mutated valid messages, some random requests. */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.oneof({ arbitrary: mutatedRequest, weight: 4 }, { arbitrary: randomRequest, weight: 1 });

/** The drawn request as a fetch Request. */
export function toRequest(r: FuzzRequest): Request {
  const headers = new Headers();
  if (r.auth !== undefined) headers.set('authorization', `Bearer ${r.auth}`);
  if (r.contentType !== undefined) headers.set('content-type', r.contentType);
  return new Request(`${BASE}${r.path.startsWith('/') ? '' : '/'}${r.path}`, { method: r.method, headers, ...(r.body === undefined ? {} : { body: r.body }) });
}
