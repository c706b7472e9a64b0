/**
 * What one `connect()` opens and every room of the worker shares: the replica, its
 * transport, the channel to the other tabs, the tab's one pending count, and the way
 * back to this tab's page. Closing it ends them all.
 */
import { validateConfig } from '../src/engine/config.ts';
import { WITH_COLLECTIONS } from '../src/engine/prebuilt-worker.ts';
import { PendingCount } from '../src/engine/pending-count.ts';
import type { SyncConfigInput } from '../src/engine/types.ts';
import { ErrorCode, SyncError } from '../src/protocol/errors.ts';
import { openReplica, type ReplicaOptions } from '../src/store/idb-replica.ts';
import { FIELDS_BUILT, fieldsMissing } from '../src/store/field-seam.ts';
import type { LocalStore } from '../src/store/types.ts';
import { httpTransport } from '../src/transport/http-transport.ts';
import type { SyncTransport } from '../src/transport/types.ts';
import type { WorkerConnectOptions, WorkerEventSink, WorkerTokenSource } from '../src/worker-api/sync-worker-api.ts';
import { SDK_VERSION } from '../src/worker-api/version.ts';
import type { FieldsSeam } from './fields-seam.ts';
import { leaderLockName } from './leader-lock.ts';
import { defaultBroadcastChannel, TabChannel, tabChannelName, type TabEvent, type TabMessage } from './tab-channel.ts';
import { injected, type SyncWorkerOptions, type TransportSettings } from './worker-options.ts';

/** What the page sent to connect, with the worker's own options. */
export interface ConnectRequest {
  readonly options: WorkerConnectOptions;
  readonly sink: WorkerEventSink;
  readonly getToken: WorkerTokenSource | undefined;
  readonly worker: SyncWorkerOptions;
  /** This tab's id on the channel. */
  readonly tabId: string;
  /** Hears the other tabs. */
  readonly onTabMessage: (message: TabMessage) => void;
  /** How the replica opens (collections: with their indexes). */
  readonly replica?: Pick<ReplicaOptions, 'open'>;
}

/**
 * Checks what the page sent before anything opens: the same build, a valid
 * configuration (failing here, at connect, rather than when this tab first leads). The
 * name and the server URL are the page's to check (`createSyncClient`), before any worker starts.
 * Returns the configuration, with the worker's resolver.
 */
function checkedConfig(options: WorkerConnectOptions, worker: SyncWorkerOptions): SyncConfigInput {
  if (options?.version !== SDK_VERSION) {
    throw new SyncError(
      ErrorCode.VERSION_MISMATCH,
      `Worker build ${SDK_VERSION}, page build ${String(options?.version)} (a stale cached worker?): reload the page, or bundle both from one pulsesync`,
      { details: { worker: SDK_VERSION, client: String(options?.version) } },
    );
  }
  const resolver = injected(worker, 'conflictResolver');
  const config: SyncConfigInput = { ...options.config, ...(resolver === undefined ? {} : { resolver }) };
  validateConfig(config);
  return config;
}

function tokenSource(options: WorkerConnectOptions, getToken: WorkerTokenSource | undefined): (() => Promise<string | undefined>) | undefined {
  if (options.hasGetToken === true && getToken !== undefined) {
    return async () => (await getToken()) ?? undefined;
  }
  const { token } = options;
  if (token !== undefined) return async () => token;
  return undefined;
}

/** One tab's open connection; see the file comment. */
export class Connection {
  // Declared, not defined: the constructor assigns them all at once from `fields`.
  declare readonly replica: LocalStore;
  declare readonly transport: SyncTransport;
  declare readonly channel: TabChannel;
  declare readonly config: SyncConfigInput;
  /** The Web Lock whose holder leads the tabs of this replica. */
  declare readonly lockName: string;
  declare readonly tabId: string;
  /** This tab's count of the replica's pending changes: the `pending` of every status it shows. */
  readonly pending: PendingCount;
  readonly #sink: WorkerEventSink;
  readonly #cleanup: (() => void)[] = [];

  private constructor(fields: Pick<Connection, 'replica' | 'transport' | 'channel' | 'config' | 'lockName' | 'tabId'>, sink: WorkerEventSink) {
    Object.assign(this, fields);
    this.pending = new PendingCount(fields.replica);
    this.#sink = sink;
  }

  /** Checks the request, opens the replica, builds the transport, joins the tabs. */
  static async open(request: ConnectRequest): Promise<Connection> {
    const { options, worker } = request;
    const config = checkedConfig(options, worker);
    const indexedDB = injected(worker, 'indexedDB');
    const IDBKeyRange = injected(worker, 'IDBKeyRange');
    const durability = injected(worker, 'durability');
    const replica = await openReplica({
      name: options.name,
      ...(WITH_COLLECTIONS ? request.replica : undefined),
      ...(indexedDB === undefined ? {} : { indexedDB }),
      ...(IDBKeyRange === undefined ? {} : { IDBKeyRange }),
      ...(durability === undefined ? {} : { durability }),
      // Field-level records (and record history) are opt-in code, and only for their
      // policy: a worker without them refuses it now, not at its first pull. (A build
      // without them at all, the prebuilt default worker, refused the policy in checkedConfig.)
      ...(FIELDS_BUILT &&
        config.conflictResolution === 'field-last-write-wins' && { fields: ((worker.fields as FieldsSeam | undefined) ?? fieldsMissing(config.conflictResolution)).replica }),
    });
    let transport: SyncTransport;
    try {
      const getToken = tokenSource(options, request.getToken);
      const settings: TransportSettings = getToken === undefined ? { url: options.url } : { url: options.url, getToken };
      transport = injected(worker, 'transport')?.(settings) ?? httpTransport(settings);
    } catch (error) {
      replica.close(); // a transport that cannot be built: do not keep the database open
      throw error;
    }
    const channel = new TabChannel((injected(worker, 'broadcastChannel') ?? defaultBroadcastChannel)(tabChannelName(options.name)), request.onTabMessage);
    const connection = new Connection(
      { replica, transport, channel, config, lockName: leaderLockName(options.name), tabId: request.tabId },
      request.sink,
    );
    await connection.pending.refresh();
    return connection;
  }

  /** Delivers an event to this tab's page and to every other tab. */
  publish(event: TabEvent): void {
    this.deliver(event);
    this.tellTabs(event);
  }

  /** Delivers an event to every other tab (not to this tab's page). */
  tellTabs(event: TabEvent): void {
    this.post({ kind: 'event', from: this.tabId, event });
  }

  /** Delivers an event to this tab's page only; a pulled batch's `change` without its values (see `PageChangeEvent`). */
  deliver(event: TabEvent): void {
    try {
      // A call back to the page over the wire: returns a promise, rejected once the page is gone.
      Promise.resolve(
        this.#sink(
          event.type === 'change' && event.payload.source === 'remote'
            ? { type: 'change', payload: { source: 'remote', changes: event.payload.changes.map(({ value, ...change }) => change) } }
            : event,
        ),
      ).catch(() => undefined);
    } catch {
      // The page side is gone; nothing to tell.
    }
  }

  /** Tells the other tabs. */
  post(message: TabMessage): void {
    this.channel.post(message);
  }

  /** Keeps `off` (an unsubscribe) to call at close. */
  keep(off: () => void): void {
    this.#cleanup.push(off);
  }

  /** Leaves the tabs and closes the replica. */
  close(): void {
    for (const off of this.#cleanup.splice(0)) off();
    this.pending.close();
    this.channel.close();
    this.replica.close();
  }
}
