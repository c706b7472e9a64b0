/**
 * The sync server: validates every message, checks access, and applies the sync rules
 * over a {@link ServerStore}. Transport-free: each handler takes a parsed JSON body and
 * the caller's {@link Access} and returns the response object, or throws a SyncError
 * with a stable code. HTTP sits on top (`http/fetch-handler.ts` takes a server and
 * maps codes to statuses); the rules know nothing of it.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import {
  PROTOCOL_VERSION,
  type Capability,
  type HandshakeResponse,
  type HealthResponse,
  type PullResponse,
  type PushRequest,
  type PushResponse,
} from '../protocol/types.ts';
import { assertListLength, parseHandshakeRequest, parsePullRequest, parsePushRequest } from '../protocol/validate.ts';
import { isFullAccess, type Access, type Authenticate } from './access.ts';
import { pushBounds } from './push-bounds.ts';
import { instanceGuard } from './instance-binding.ts';
import { resolveLimits, type ServerLimits } from './limits.ts';
import { pushGroups } from './push-groups.ts';
import { servePull } from './serve-pull.ts';
import { utf8Bytes } from './stores/change-page.ts';
import { globalTimers, type ServerTimers } from './timers.ts';
import { resolveGcSettings, tombstoneCollector, type GarbageReport } from './tombstone-gc.ts';
import type { ServerStore, StoreCommit } from './types.ts';

/** Options of {@link createSyncServer}. */
export interface SyncServerOptions {
  readonly store: ServerStore;
  /** Who a request comes from (the fetch handler's default); absent: every caller has full access. */
  readonly authenticate?: Authenticate;
  /** Size limits; each one defaults (see `DEFAULT_LIMITS`). */
  readonly limits?: Partial<ServerLimits>;
  /**
   * Refuse identified pulls and pushes without a valid instance key (`INSTANCE_FORBIDDEN`).
   * Default false, so clients that send none still sync; turn it on once all of yours
   * send keys, above all when callers share one identity (one token).
   */
  readonly requireInstanceKeys?: boolean;
  /**
   * How far ahead of the server's clock a pushed change's clock may run; a change
   * stamped further ahead is refused `INVALID` and not stored. Default 5 minutes
   * (`DEFAULT_MAX_CLOCK_DRIFT_MS`, the bound replicas keep too).
   */
  readonly maxClockDriftMs?: number;
  /** The server's wall clock in epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * How long the tombstone of a deleted record is kept; then a sweep removes it, and a
   * client whose cursor is older gets `CURSOR_EXPIRED` and resets (see
   * `PullRequest.snapshotMark`). Default 30 days (`DEFAULT_TOMBSTONE_HORIZON_MS`);
   * `Infinity` keeps every tombstone. A tombstone goes up to 1% of this, plus
   * `gcIntervalMs`, later.
   */
  readonly tombstoneHorizonMs?: number;
  /** Time between two sweeps the server runs on its own. Default 1 hour; 0: only {@link SyncServer.collectGarbage}. */
  readonly gcIntervalMs?: number;
  /** Most rows one sweep transaction looks at. Default 1,000. */
  readonly gcBatchRows?: number;
  /** Where the sweeps are scheduled. Default the runtime's timers (which do not keep a Node process alive for them). */
  readonly timers?: Pick<ServerTimers, 'setTimeout' | 'clearTimeout'>;
  /** Told when a scheduled sweep fails (the next interval tries again). Default: `console.error`. */
  readonly onGcError?: (error: unknown) => void;
}

/** A sync server over one store. */
export interface SyncServer {
  readonly store: ServerStore;
  readonly limits: ServerLimits;
  /** The `authenticate` option, which a fetch handler over this server uses unless told otherwise. */
  readonly authenticate: Authenticate | undefined;
  /**
   * Aborted when the server closes, so what serves it (the fetch handler's live
   * streams) ends with it.
   */
  readonly signal: AbortSignal;
  /** Checks the protocol version; answers the server's id and capabilities. */
  handleHandshake(body: unknown, access?: Access): Promise<HandshakeResponse>;
  /** Applies a push in one store transaction (shared with the pushes that wait with it; see `push-groups.ts`). */
  handlePush(body: unknown, access?: Access): Promise<PushResponse>;
  /** Serves one page of the change feed. */
  handlePull(body: unknown, access?: Access): Promise<PullResponse>;
  /** Liveness: the store answers a read. Needs no identity. */
  handleHealth(body?: unknown, access?: Access): Promise<HealthResponse>;
  /**
   * Calls `listener` after changes commit (in any process sharing the store); returns an
   * unsubscribe. With `access`, only for commits in collectives it may read: a live
   * stream learns nothing of other users' writes.
   */
  onChanges(listener: (commit: StoreCommit) => void, access?: Access): () => void;
  /**
   * Removes the tombstones older than the horizon now, in bounded batches, after a sweep
   * under way; resolves with what it did. The server also does this every `gcIntervalMs`.
   */
  collectGarbage(): Promise<GarbageReport>;
  /** Stops sweeping and listening, aborts {@link signal} (ending live streams) and closes the store. Handlers then fail `SHUTDOWN`. */
  close(): Promise<void>;
}

/** What this server can do, announced at handshake. */
export const SERVER_CAPABILITIES: readonly Capability[] = ['live', 'total', 'server-wins', 'instance-key', 'cursor-expiry', 'field-last-write-wins'];

/** The protocol version a handshake body asks for, if it names one at all. */
function requestedVersion(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['protocolVersion'] : undefined;
}

/**
 * Creates a sync server over `options.store`.
 *
 * @example
 * const server = createSyncServer({ store: memoryServerStore(), authenticate: tokenAuth(token) });
 * const response = await server.handlePull({ instanceId, cursor: 0, batchSize: 500 });
 * const http = createFetchHandler(server); // the same rules over HTTP
 */
export function createSyncServer(options: SyncServerOptions): SyncServer {
  const { store } = options;
  const limits = resolveLimits(options.limits);
  const bounds = pushBounds(limits, options);
  const unsubscribes = new Set<() => void>();
  const closing = new AbortController();
  let closed = false;
  const instances = instanceGuard(store, { requireKeys: options.requireInstanceKeys ?? false });
  const gcSettings = resolveGcSettings({
    ...(options.tombstoneHorizonMs === undefined ? {} : { horizonMs: options.tombstoneHorizonMs }),
    ...(options.gcIntervalMs === undefined ? {} : { intervalMs: options.gcIntervalMs }),
    ...(options.gcBatchRows === undefined ? {} : { batchRows: options.gcBatchRows }),
  });
  const collector = tombstoneCollector(store, gcSettings, {
    now: options.now ?? Date.now,
    timers: options.timers ?? globalTimers,
    onError: options.onGcError ?? ((error: unknown) => console.error('pulsesync: a tombstone sweep failed; the next interval tries again:', error)),
  });
  const pushes = pushGroups(store, bounds);

  function assertOpen(): void {
    if (closed) throw new SyncError(ErrorCode.SHUTDOWN, 'The sync server is shutting down; try again shortly');
  }

  /** Refuses a push with values larger than the limits before anything is read or written. */
  function checkPushSize(request: PushRequest): void {
    for (const change of request.changes) {
      if (change.op === 'delete') continue;
      // A patch is measured by its entries (paths and values): what it adds to the record.
      const bytes = utf8Bytes(JSON.stringify(change.op === 'patch' ? change.fields : change.value));
      if (bytes > limits.maxValueBytes) {
        throw new SyncError(
          ErrorCode.PAYLOAD_TOO_LARGE,
          `The value of ${change.collective}/${change.id} (seq ${change.seq}) is ${bytes} bytes of JSON; this server accepts at most ${limits.maxValueBytes}`,
          { details: { limit: limits.maxValueBytes, size: bytes, seq: change.seq, collective: change.collective, id: change.id } },
        );
      }
    }
  }

  const server: SyncServer = {
    store,
    limits,
    authenticate: options.authenticate,
    signal: closing.signal,

    async handleHandshake(body, access) {
      assertOpen();
      const version = requestedVersion(body);
      if (typeof version === 'number' && version !== PROTOCOL_VERSION) {
        throw new SyncError(
          ErrorCode.PROTOCOL_VERSION,
          `This server speaks sync protocol version ${PROTOCOL_VERSION}, the client ${version}: update the ${version > PROTOCOL_VERSION ? 'server' : 'client'}`,
          { details: { client: version, server: PROTOCOL_VERSION } },
        );
      }
      const request = parseHandshakeRequest(body);
      const instanceKey = await instances.handshake(request, access);
      const answer = { accepted: true, protocolVersion: PROTOCOL_VERSION, serverId: await store.serverId(), capabilities: [...SERVER_CAPABILITIES] };
      return instanceKey === undefined ? answer : { ...answer, instanceKey };
    },

    async handlePush(body, access) {
      assertOpen();
      // The count first, before validation walks a single change.
      assertListLength(body, 'push request', { field: 'changes', max: limits.maxPushChanges, code: ErrorCode.PAYLOAD_TOO_LARGE });
      const request = parsePushRequest(body);
      checkPushSize(request);
      const claim = await instances.claim(request, access);
      // Applied together with the pushes waiting with it (see push-groups.ts), answered alone.
      return pushes.apply({ request, access, admit: (tx, applied) => instances.admitPush(tx, request, access, claim, applied) });
    },

    async handlePull(body, access) {
      assertOpen();
      const request = parsePullRequest(body);
      // Pushes first: a pull that comes while a push group is being applied waits until
      // its reads and writes are done (not its flush, when the loop is free), instead of
      // reading its page in the turns the group yields in. The group then holds the
      // writer for as long as its own work takes, rather than for every pull that came
      // meanwhile (under 50 clients pushing and pulling, a yield of a group waited a round
      // of some 25 pulls, 100 ms and more), and pushes waiting for the next group wait
      // that much less. A pull waits for one group at most: the next starts after a commit.
      await pushes.applied();
      await instances.checkPull(request, access);
      return servePull(store, request, access, limits);
    },

    async handleHealth() {
      assertOpen();
      // A read, so a store that lost its database fails health instead of answering ok.
      await store.latestVersion();
      return { ok: true, protocolVersion: PROTOCOL_VERSION, serverId: await store.serverId() };
    },

    onChanges(listener, access) {
      assertOpen();
      // A commit of unknown collectives (one another process made while this one was not
      // listening) pokes everyone: it says nothing of who wrote, only that the channel dropped.
      const mayRead = (commit: StoreCommit): boolean =>
        isFullAccess(access) || commit.collectives === undefined || commit.collectives.some((collective) => (access as Access).canRead(collective));
      const unsubscribe = store.onCommit((commit) => {
        if (mayRead(commit)) listener(commit);
      });
      const entry = () => {
        unsubscribes.delete(entry);
        unsubscribe();
      };
      unsubscribes.add(entry);
      return entry;
    },

    async collectGarbage() {
      assertOpen();
      return collector.collect();
    },

    async close() {
      if (closed) return;
      closed = true;
      closing.abort();
      for (const unsubscribe of [...unsubscribes]) unsubscribe();
      // A sweep under way ends after its batch, before the store closes under it.
      await collector.close();
      await store.close();
    },
  };
  return server;
}
