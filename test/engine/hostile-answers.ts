/**
 * What a hostile or broken server may answer, as fast-check arbitraries, and how each
 * is made from the real server's answer. A {@link Plan} is drawn for each request in
 * turn: let the answer through, lose the request or the answer (a thrown SyncError,
 * before or after the server handled it), replace the answer with arbitrary JSON, or
 * rewrite it with one of the {@link Mutation}s. Rewritten answers are either ones the
 * client must refuse (`mustRefuse`: they break a rule of the protocol) or lies it cannot
 * tell from the truth (a cursor skipped ahead, rows left out, a clock from the future).
 */
import fc from 'fast-check';
import { formatHlc } from '../../src/clock/hlc.ts';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import type { HandshakeResponse, PulledChange, PullRequest, PullResponse, PushRequest, PushResponse } from '../../src/protocol/types.ts';

export const POISON_HLC = '999999999999999:999999:zzzz';
const STRANGER = '01900000-0000-7000-8000-00000000beef';

/** Rewrites of a real answer; each applies to one kind of request and leaves the others alone. */
export const MUTATIONS = [
  // pull
  'stall',
  'backwards',
  'huge-cursor',
  'cursor-skip',
  'has-more',
  'drop-rows',
  'duplicate-rows',
  'reverse-rows',
  'foreign-collective',
  'version-beyond-cursor',
  'poison-clock',
  'future-clock',
  'negative-cursor',
  'total-lie',
  'empty-with-more',
  // push
  'ack-everything',
  'ack-nothing',
  'reject-all',
  'conflict-other-record',
  'conflict-same-record',
  // handshake
  'other-server-id',
  'other-protocol',
  'refuse-handshake',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** What happens to one request. */
export type Plan =
  | { readonly kind: 'pass' }
  | { readonly kind: 'lose-request' | 'lose-answer'; readonly error: SyncError }
  | { readonly kind: 'garbage'; readonly value: unknown }
  | { readonly kind: 'mutate'; readonly mutation: Mutation; readonly n: number };

export const PASS: Plan = { kind: 'pass' };

/** Codes a transport or server may fail with (INTERNAL left out: the client must never report it). */
const THROWN_CODES = [
  ErrorCode.TRANSPORT,
  ErrorCode.TIMEOUT,
  ErrorCode.RATE_LIMITED,
  ErrorCode.UNAUTHORIZED,
  ErrorCode.FORBIDDEN,
  ErrorCode.CURSOR_AHEAD,
  ErrorCode.PAYLOAD_TOO_LARGE,
  ErrorCode.SHUTDOWN,
  ErrorCode.INVALID_PAYLOAD,
  ErrorCode.CONFLICT,
] as const;

/** Retry-After values, the absurd ones of finding 9 among them. */
const retryAfterMs = fc.oneof(
  fc.integer({ min: 0, max: 60_000 }),
  fc.constantFrom(3_000_000_000, 2 ** 31, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY, Number.NaN, -1),
);

const thrown: fc.Arbitrary<SyncError> = fc
  .record({ code: fc.constantFrom(...THROWN_CODES), retryAfterMs: fc.option(retryAfterMs, { nil: undefined }) })
  .map(({ code, retryAfterMs: ms }) => new SyncError(code, `hostile server: ${code}`, ms === undefined ? {} : { details: { retryAfterMs: ms } }));

/** One plan: mostly honest answers, so that a run also gets somewhere. */
export const plan: fc.Arbitrary<Plan> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(PASS) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('lose-request' as const, 'lose-answer' as const), error: thrown }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('garbage' as const), value: fc.jsonValue({ maxDepth: 2 }) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('mutate' as const), mutation: fc.constantFrom(...MUTATIONS), n: fc.nat(1_000) }) },
);

/** A rewritten answer, and whether a client that checks what it gets must refuse it. */
export interface Rewritten {
  readonly answer: unknown;
  readonly mustRefuse: boolean;
}

const same = (answer: unknown): Rewritten => ({ answer, mustRefuse: false });

/** Rewrites a real pull answer (`now`: the server's wall clock, for the clock mutations). */
export function mutatePull(mutation: Mutation, n: number, request: PullRequest, answer: PullResponse, now: number): Rewritten {
  const rows = answer.changes;
  const withClock = (hlc: (row: PulledChange) => string) => same({ ...answer, changes: rows.map((row) => ({ ...row, hlc: hlc(row) })) });
  switch (mutation) {
    case 'stall':
      return { answer: { ...answer, hasMore: true, newCursor: request.cursor }, mustRefuse: true };
    case 'backwards':
      return request.cursor === 0
        ? same(answer)
        : { answer: { ...answer, changes: [], newCursor: n % request.cursor }, mustRefuse: true };
    case 'huge-cursor':
      return { answer: { ...answer, newCursor: Number.MAX_SAFE_INTEGER - (n % 2) }, mustRefuse: true };
    case 'cursor-skip':
      return same({ ...answer, newCursor: answer.newCursor + 1 + (n % 5) });
    case 'has-more':
      return { answer: { ...answer, hasMore: true }, mustRefuse: answer.newCursor === request.cursor };
    case 'drop-rows':
      return same({ ...answer, changes: [] });
    case 'duplicate-rows':
      return { answer: { ...answer, changes: [...rows, ...rows] }, mustRefuse: rows.length > 0 };
    case 'reverse-rows':
      return { answer: { ...answer, changes: [...rows].reverse() }, mustRefuse: rows.length > 1 };
    case 'foreign-collective':
      return {
        answer: { ...answer, changes: rows.map((row, i) => (i === 0 ? { ...row, collective: 'intruder' } : row)) },
        mustRefuse: rows.length > 0 && request.collectives !== undefined,
      };
    case 'version-beyond-cursor':
      return {
        answer: { ...answer, changes: rows.map((row, i) => (i === rows.length - 1 ? { ...row, version: answer.newCursor + 1 + n } : row)) },
        mustRefuse: rows.length > 0,
      };
    case 'poison-clock':
      return withClock(() => POISON_HLC);
    case 'future-clock':
      return withClock((row) => formatHlc({ wallMs: now + (n % 20) * 60_000, counter: 0, node: row.source }));
    case 'negative-cursor':
      return same({ ...answer, newCursor: -1 - n }); // the wire schema refuses it
    case 'total-lie':
      return same({ ...answer, total: n });
    case 'empty-with-more':
      return same({ ...answer, changes: [], hasMore: true, newCursor: request.cursor + 1 + (n % 3) });
    default:
      return same(answer);
  }
}

/** Rewrites a real push answer. */
export function mutatePush(mutation: Mutation, n: number, request: PushRequest, answer: PushResponse): Rewritten {
  const first = request.changes[0];
  switch (mutation) {
    case 'ack-everything':
      return same({ ...answer, ackedSeq: Number.MAX_SAFE_INTEGER });
    case 'ack-nothing':
      return same({ ...answer, accepted: 0, ackedSeq: 0 });
    case 'reject-all':
      return same({
        ...answer,
        rejected: request.changes.map((c) => ({ seq: c.seq, collective: c.collective, id: c.id, reason: (['FORBIDDEN', 'INVALID', 'CONFLICT'] as const)[n % 3], message: 'refused' })),
      });
    case 'conflict-other-record':
    case 'conflict-same-record': {
      if (first === undefined) return same(answer);
      const other = mutation === 'conflict-other-record';
      const server = {
        collective: other ? 'intruder' : first.collective,
        id: other ? 'planted' : first.id,
        op: 'put' as const,
        value: 'the server says so',
        hlc: n % 2 === 0 ? POISON_HLC : formatHlc({ wallMs: n, counter: 0, node: STRANGER }),
        source: STRANGER,
        version: Math.max(1, answer.newCursor),
      };
      const conflict = { seq: first.seq, collective: first.collective, id: first.id, policy: request.policy, server };
      return { answer: { ...answer, conflicts: [...answer.conflicts, conflict] }, mustRefuse: other };
    }
    default:
      return same(answer);
  }
}

/** Rewrites a real handshake answer. */
export function mutateHandshake(mutation: Mutation, n: number, answer: HandshakeResponse): Rewritten {
  switch (mutation) {
    case 'other-server-id':
      return same({ ...answer, serverId: `impostor-${n % 3}` });
    case 'other-protocol':
      return same({ ...answer, protocolVersion: answer.protocolVersion + 1 + (n % 3) });
    case 'refuse-handshake':
      return same({ ...answer, accepted: false, reason: 'go away' });
    default:
      return same(answer);
  }
}
