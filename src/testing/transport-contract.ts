/**
 * The contract every SyncTransport passes, against a real sync server (memory store)
 * that the suite makes for each test: answers in order and to the right caller, paging
 * without gaps, failures as SyncErrors carrying the server's code, a time limit kept on
 * injected timers, and large pages carried intact. Registered with vitest's
 * `describe`/`it`, like automerge-repo's `runStorageAdapterTests`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatHlc } from '../clock/hlc.ts';
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { PROTOCOL_VERSION, type JsonValue, type PullResponse, type PushRequest, type SyncChange } from '../protocol/types.ts';
import { createSyncServer, type SyncServer } from '../server/sync-server.ts';
import { memoryServerStore } from '../server/stores/memory-server-store.ts';
import { uuidV7 } from '../store/uuid-v7.ts';
import type { TransportTimers } from '../transport/timers.ts';
import type { SyncTransport } from '../transport/types.ts';
import { manualClock, type ManualClock } from './manual-clock.ts';

/** What the transport under test must be built with. */
export interface TransportSettings {
  /** Its time limit per call. */
  readonly timeoutMs: number;
  /** Its timers: the suite moves them by hand. */
  readonly timers: TransportTimers;
}

/** A transport talking to the suite's server, and how to take it (and whatever carries it) down. */
export interface ConnectedTransport {
  readonly transport: SyncTransport;
  close?(): void | Promise<void>;
}

/**
 * Builds the transport under test, connected to `server`. Every call must reach the
 * server through its `handleX` methods (or `createFetchHandler(server)`, which uses
 * them), not its built-in `fetch`: the suite holds calls there to test time limits.
 */
export type ConnectTransport = (server: SyncServer, settings: TransportSettings) => ConnectedTransport | Promise<ConnectedTransport>;

/** The server's limit on changes per push, low so the suite can cross it cheaply. */
const MAX_PUSH_CHANGES = 2_500;
const TIMEOUT_MS = 10_000;

/** Waits (bounded) for `condition`, letting I/O run between checks. Not a timed assertion. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 2_000; turn++) {
    if (condition()) return;
    await new Promise<void>((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`transport contract: ${what} never happened`);
}

/** Lets pending I/O and promise chains run for a few event-loop turns. */
async function someTurns(): Promise<void> {
  for (let turn = 0; turn < 10; turn++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

/** The SyncError a promise rejects with. */
async function failureOf(promise: Promise<unknown>): Promise<SyncError> {
  const error = await promise.then(
    () => new Error('the call succeeded'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SyncError);
  return error as SyncError;
}

/** Change `seq` of `source`: a put of `value` to `notes/id`. */
function put(source: string, seq: number, id: string, value: JsonValue): SyncChange {
  return { seq, source, collective: 'notes', id, op: 'put', value, hlc: formatHlc({ wallMs: Date.now(), counter: seq, node: source }), baseVersion: null };
}

function pushOf(source: string, changes: readonly SyncChange[]): PushRequest {
  return { instanceId: source, policy: 'last-write-wins', changes };
}

/** Follows the feed from 0 in pages of `batchSize` until `hasMore` is false. */
async function pullAll(transport: SyncTransport, reader: string, batchSize: number): Promise<PullResponse[]> {
  const pages: PullResponse[] = [];
  let cursor = 0;
  for (let page = 0; page < 10_000; page++) {
    const response = await transport.pull({ instanceId: reader, cursor, batchSize });
    pages.push(response);
    if (!response.hasMore) return pages;
    cursor = response.newCursor;
  }
  throw new Error('transport contract: the feed never ended');
}

/**
 * Registers the transport contract for one implementation, in a `describe` named after
 * `label`. Each test gets a fresh server and a fresh transport from `connect`.
 *
 * @example
 * runTransportContract((server, { timeoutMs, timers }) => ({ transport: memoryTransport(server, { timeoutMs, timers }) }), 'memory');
 */
export function runTransportContract(connect: ConnectTransport, label = 'SyncTransport'): void {
  describe(`SyncTransport contract: ${label}`, () => {
    let server: SyncServer;
    let connected: ConnectedTransport;
    let transport: SyncTransport;
    let clock: ManualClock;
    /** Calls of these operations wait at the server until released. */
    const held = new Set<'pull' | 'push'>();
    let arrived = 0;
    let release: () => void = () => undefined;
    let released: Promise<void> = Promise.resolve();
    const writer = uuidV7();
    const reader = uuidV7();

    beforeEach(async () => {
      const real = createSyncServer({ store: memoryServerStore(), limits: { maxPushChanges: MAX_PUSH_CHANGES } });
      held.clear();
      arrived = 0;
      released = new Promise<void>((resolve) => (release = resolve));
      const holdable = <A extends unknown[], R>(operation: 'pull' | 'push', handler: (...args: A) => Promise<R>) =>
        async (...args: A): Promise<R> => {
          if (held.has(operation)) {
            arrived += 1;
            await released;
          }
          return handler(...args);
        };
      server = {
        ...real,
        handlePush: holdable('push', real.handlePush),
        handlePull: holdable('pull', real.handlePull),
      };
      clock = manualClock();
      connected = await connect(server, { timeoutMs: TIMEOUT_MS, timers: clock });
      transport = connected.transport;
    });

    afterEach(async () => {
      release();
      await connected?.close?.();
      await server?.close();
    });

    describe('ordering', () => {
      it('answers every message of the protocol', async () => {
        const hello = await transport.handshake({ instanceId: writer, protocolVersion: PROTOCOL_VERSION, capabilities: [] });
        expect(hello).toMatchObject({ accepted: true, protocolVersion: PROTOCOL_VERSION });
        expect((await transport.health()).serverId).toBe(hello.serverId);
        const pushed = await transport.push(pushOf(writer, [put(writer, 1, 'a', 1), put(writer, 2, 'b', 2), put(writer, 3, 'c', 3)]));
        expect(pushed).toMatchObject({ accepted: 3, ackedSeq: 3, rejected: [], conflicts: [] });
        const pulled = await transport.pull({ instanceId: reader, cursor: 0, batchSize: 10 });
        expect(pulled.changes.map((c) => [c.id, c.value])).toEqual([['a', 1], ['b', 2], ['c', 3]]);
        expect(pulled).toMatchObject({ hasMore: false, newCursor: pushed.newCursor });
      });

      it('applies pushes in the order sent: the feed follows it and the last write of a record wins', async () => {
        for (let seq = 1; seq <= 5; seq++) await transport.push(pushOf(writer, [put(writer, seq, seq % 2 === 0 ? 'even' : `odd-${seq}`, seq)]));
        const [page] = await pullAll(transport, reader, 100);
        expect(page?.changes.map((c) => `${c.id}=${String(c.value)}`)).toEqual(['odd-1=1', 'odd-3=3', 'even=4', 'odd-5=5']);
        const versions = page?.changes.map((c) => c.version) ?? [];
        expect([...versions].sort((a, b) => a - b)).toEqual(versions);
      });

      it('gives each of many concurrent calls the answer to its own request', async () => {
        await transport.push(pushOf(writer, Array.from({ length: 20 }, (_, i) => put(writer, i + 1, `r${i}`, i))));
        const cursors = Array.from({ length: 20 }, (_, i) => i);
        const answers = await Promise.all([
          ...cursors.map((cursor) => transport.pull({ instanceId: reader, cursor, batchSize: 1 })),
          transport.health(),
        ]);
        const pages = answers.slice(0, 20) as PullResponse[];
        expect(pages.map((p) => p.changes[0]?.version)).toEqual(cursors.map((c) => c + 1));
        expect(answers[20]).toMatchObject({ ok: true });
      });

      it('pages through the feed in order, with no gap and no repeat', async () => {
        await transport.push(pushOf(writer, Array.from({ length: 25 }, (_, i) => put(writer, i + 1, `r${String(i).padStart(2, '0')}`, i))));
        const pages = await pullAll(transport, reader, 7);
        expect(pages.map((p) => p.changes.length)).toEqual([7, 7, 7, 4]);
        expect(pages.flatMap((p) => p.changes.map((c) => c.value))).toEqual(Array.from({ length: 25 }, (_, i) => i));
      });
    });

    describe('errors', () => {
      it("fails with a SyncError carrying the server's code, message and details", async () => {
        const error = await failureOf(transport.pull({ instanceId: reader, cursor: 999, batchSize: 1 }));
        expect(error.code).toBe(ErrorCode.CURSOR_AHEAD);
        expect(error.message).toMatch(/999/);
        expect(error.details).toMatchObject({ cursor: 999, latest: 0 });
      });

      it('refuses a message the server cannot accept with INVALID_PAYLOAD, and nothing changes', async () => {
        const spoiled = { ...put(writer, 1, 'a', 1), hlc: 'not a clock' };
        expect((await failureOf(transport.push(pushOf(writer, [spoiled])))).code).toBe(ErrorCode.INVALID_PAYLOAD);
        expect((await transport.pull({ instanceId: reader, cursor: 0, batchSize: 10 })).changes).toEqual([]);
      });

      it('refuses another protocol version with PROTOCOL_VERSION, naming both', async () => {
        const error = await failureOf(transport.handshake({ instanceId: writer, protocolVersion: PROTOCOL_VERSION + 1, capabilities: [] }));
        expect(error.code).toBe(ErrorCode.PROTOCOL_VERSION);
        expect(error.details).toMatchObject({ client: PROTOCOL_VERSION + 1, server: PROTOCOL_VERSION });
      });

      it("refuses a push over the server's limit with PAYLOAD_TOO_LARGE and the limit", async () => {
        const changes = Array.from({ length: MAX_PUSH_CHANGES + 1 }, (_, i) => put(writer, i + 1, `r${i}`, i));
        const error = await failureOf(transport.push(pushOf(writer, changes)));
        expect(error.code).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
        expect(error.details).toMatchObject({ limit: MAX_PUSH_CHANGES });
      });
    });

    describe('time limits', () => {
      it('fails TIMEOUT when no answer comes within timeoutMs on its timers, and not before', async () => {
        held.add('pull');
        let settled = false;
        const call = transport.pull({ instanceId: reader, cursor: 0, batchSize: 1 }).finally(() => (settled = true));
        call.catch(() => undefined);
        await until(() => arrived === 1, 'the held pull reaching the server');
        expect(clock.pending()).toEqual([TIMEOUT_MS]);
        clock.advance(TIMEOUT_MS - 1);
        await someTurns();
        expect(settled).toBe(false);
        clock.advance(1);
        const error = await failureOf(call);
        expect(error.code).toBe(ErrorCode.TIMEOUT);
        expect(error.details).toMatchObject({ timeoutMs: TIMEOUT_MS });
      });

      it('drops the late answer of a timed-out call: the next call gets its own', async () => {
        await transport.push(pushOf(writer, [put(writer, 1, 'a', 'first'), put(writer, 2, 'b', 'second')]));
        held.add('pull');
        const late = transport.pull({ instanceId: reader, cursor: 0, batchSize: 1 });
        await until(() => arrived === 1, 'the held pull reaching the server');
        clock.advance(TIMEOUT_MS);
        expect((await failureOf(late)).code).toBe(ErrorCode.TIMEOUT);
        held.clear();
        release();
        const next = await transport.pull({ instanceId: reader, cursor: 1, batchSize: 1 });
        expect(next.changes.map((c) => c.value)).toEqual(['second']);
      });

      it('leaves no timer behind once a call is answered or refused', async () => {
        await transport.health();
        await failureOf(transport.pull({ instanceId: reader, cursor: 5, batchSize: 1 }));
        expect(clock.pending()).toEqual([]);
      });
    });

    describe('large pages', () => {
      it('carries 2,000 changes of about 1 KB each, pushed in one request and pulled in one page, intact', async () => {
        const text = 'pulsesync · 同期 · 🙂 '.repeat(45);
        const changes = Array.from({ length: 2_000 }, (_, i) => put(writer, i + 1, `r${String(i).padStart(4, '0')}`, { i, text, nested: { list: [i, null, true] } }));
        expect((await transport.push(pushOf(writer, changes))).accepted).toBe(2_000);
        const page = await transport.pull({ instanceId: reader, cursor: 0, batchSize: 5_000 });
        expect(page.hasMore).toBe(false);
        expect(page.changes.map((c) => [c.id, c.value])).toEqual(changes.map((c) => [c.id, c.value]));
      });

      it("carries one value just under the server's value limit", async () => {
        const value = { blob: 'x'.repeat(server.limits.maxValueBytes - 64) };
        await transport.push(pushOf(writer, [put(writer, 1, 'big', value)]));
        const page = await transport.pull({ instanceId: reader, cursor: 0, batchSize: 1 });
        expect(page.changes[0]?.value).toEqual(value);
      });
    });
  });
}
