/**
 * The server side of one chaos seed: a sync server over a store that records every row
 * it commits, reached in-process (the memory transport, with the replica's access) or
 * over the real HTTP path (the fetch handler behind a Node server on 127.0.0.1, an
 * ephemeral port, bearer tokens naming the users), and the transport of each replica.
 */
import { appliedSeqKey } from '../../src/server/apply-push.ts';
import type { Access, Authenticate } from '../../src/server/access.ts';
import { createFetchHandler } from '../../src/server/http/fetch-handler.ts';
import { createNodeServer, type NodeSyncServer } from '../../src/server/node/node-server.ts';
import { createSyncServer, type SyncServer } from '../../src/server/sync-server.ts';
import type { ServerRecord, ServerStore } from '../../src/server/types.ts';
import { httpTransport } from '../../src/transport/http-transport.ts';
import { memoryTransport } from '../../src/transport/memory-transport.ts';
import type { SyncTransport } from '../../src/transport/types.ts';
import { key } from './chaos-model.ts';
import { accessOf, type ChaosUser, type ReplicaShape, type SeedShape } from './chaos-shape.ts';

/** A running server of one seed. */
export interface ChaosServer {
  /** The store, recording. */
  readonly store: ServerStore;
  /** Every row written, in commit order. */
  readonly committed: readonly ServerRecord[];
  /**
   * How many times each change reached the server in a push, by `instanceId#seq`: a
   * change that came more than once may have had its answer lost, and must still read as its first answer said.
   */
  readonly deliveries: ReadonlyMap<string, number>;
  /** The plain transport of a replica (chaos goes around it). */
  transportFor(replica: ReplicaShape): SyncTransport;
  /** Where the server keeps the applied seq of a replica's instance. */
  appliedSeqKeyOf(replica: ReplicaShape, instanceId: string): string;
  close(): Promise<void>;
}

/** Wraps a server store to see every row written, in commit order. */
function recordingStore(inner: ServerStore, committed: ServerRecord[]): ServerStore {
  return {
    kind: inner.kind,
    serverId: () => inner.serverId(),
    secret: () => inner.secret(),
    readChanges: (query) => inner.readChanges(query),
    latestVersion: () => inner.latestVersion(),
    latestVersionIn: (collectives) => inner.latestVersionIn(collectives),
    listCollectives: () => inner.listCollectives(),
    getInstance: (instanceId) => inner.getInstance(instanceId),
    onCommit: (listener) => inner.onCommit(listener),
    close: () => inner.close(),
    async transaction(fn) {
      const written: ServerRecord[] = [];
      const result = await inner.transaction((tx) =>
        fn({
          getRecords: (keys) => tx.getRecords(keys),
          getAppliedSeq: (source) => tx.getAppliedSeq(source),
          setAppliedSeq: (source, seq) => tx.setAppliedSeq(source, seq),
          getInstance: (instanceId) => tx.getInstance(instanceId),
          putInstance: (record) => tx.putInstance(record),
          async writeRecords(rows) {
            const out = await tx.writeRecords(rows);
            written.push(...out);
            return out;
          },
        }),
      );
      committed.push(...written);
      return result;
    },
  };
}

/** `CHAOS_TRACE=notes/d` prints the story of one record while a seed replays. */
const TRACED = process.env['CHAOS_TRACE'];

/** Prints `line` when `record` is the traced one. */
export function trace(record: string, line: string): void {
  if (record === TRACED) console.log(`[${record}] ${line}`);
}

/** Traces what crosses the wire about the traced record. */
export function traced(transport: SyncTransport, index: number): SyncTransport {
  if (TRACED === undefined) return transport;
  const { push, pull } = transport;
  return {
    ...transport,
    async push(request) {
      const response = await push(request);
      for (const c of request.changes) trace(key(c.collective, c.id), `R${index} pushed seq ${c.seq} ${JSON.stringify(c.value)} base v${c.baseVersion}; acked up to ${response.ackedSeq}`);
      for (const c of response.conflicts) trace(key(c.collective, c.id), `R${index} conflict on seq ${c.seq}: server holds ${JSON.stringify(c.server?.value)} v${c.server?.version}`);
      for (const r of response.rejected) trace(key(r.collective, r.id), `R${index} seq ${r.seq} refused ${r.reason}`);
      return response;
    },
    async pull(request) {
      const response = await pull(request);
      for (const c of response.changes) trace(key(c.collective, c.id), `R${index} pulled ${JSON.stringify(c.value)} v${c.version} (cursor ${request.cursor} → ${response.newCursor})`);
      return response;
    },
  };
}

/** Counts each pushed change that reaches the server, by `instanceId#seq`. */
function countingDeliveries(transport: SyncTransport, deliveries: Map<string, number>): SyncTransport {
  const { push } = transport;
  return {
    ...transport,
    push(request) {
      for (const change of request.changes) {
        const id = `${request.instanceId}#${change.seq}`;
        deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
      }
      return push(request);
    },
  };
}

/** Access by bearer token, as `tokenAuth` does for one token. */
function authenticateUsers(users: readonly ChaosUser[], accesses: Map<ChaosUser, Access>): Authenticate {
  const byToken = new Map(users.map((user) => [`Bearer ${user.token}`, accesses.get(user) as Access]));
  return (request) => byToken.get(request.headers.get('authorization') ?? '') ?? null;
}

/** Starts the server of `shape` over `inner` (recorded). */
export async function startChaosServer(shape: SeedShape, inner: ServerStore): Promise<ChaosServer> {
  const committed: ServerRecord[] = [];
  const deliveries = new Map<string, number>();
  const store = recordingStore(inner, committed);
  const users = shape.users ?? [];
  const accesses = new Map(users.map((user) => [user, accessOf(user)]));
  const sync: SyncServer = createSyncServer({ store, ...(shape.users === undefined ? {} : { authenticate: authenticateUsers(users, accesses) }) });
  const accessFor = (replica: ReplicaShape): Access | undefined => (replica.user === undefined ? undefined : accesses.get(replica.user));
  let node: NodeSyncServer | undefined;
  if (shape.transport === 'http') {
    node = await createNodeServer(createFetchHandler(sync), { host: '127.0.0.1', port: 0, drainTimeoutMs: 1000 });
  }
  return {
    store,
    committed,
    deliveries,
    transportFor(replica) {
      const access = accessFor(replica);
      const token = replica.user?.token;
      const plain = node === undefined ? memoryTransport(sync, access === undefined ? {} : { access }) : httpTransport({ url: node.url, getToken: () => token });
      return countingDeliveries(plain, deliveries);
    },
    appliedSeqKeyOf: (replica, instanceId) => appliedSeqKey(instanceId, accessFor(replica)),
    async close() {
      if (node !== undefined) {
        node.server.closeAllConnections();
        await node.close();
      }
      await sync.close();
    },
  };
}
