/**
 * One device's sync client and its lifecycle: made from the device's settings, made
 * again when they change (policy and direction are fixed per client), started and
 * stopped for background sync. The page subscribes once here; listeners survive the
 * client being replaced.
 */
import { SyncError, type ConflictInfo, type ConflictPolicy, type SyncDirection } from 'pulsesync';
import type { SyncErrorData, SyncProgress, SyncStatus } from 'pulsesync';
import type { AckEvent, ClearLocalDataOptions, JsonValue, PageChangeEvent, PatchInput, PendingWrite, PendingWritesOptions, RecordEntry, RecordExplanation, ResetEvent, SyncConfigInput, WriteReceipt } from 'pulsesync';
import type { DemoSyncClient } from './collections.ts';
import type { DeviceSettings } from './device.ts';

/** The part of pulsesync's SyncClient the demo uses. */
export interface DemoClient {
  /** The demo's declared collections (collections.ts). */
  collection: DemoSyncClient['collection'];
  /** Resolves once the worker is connected (its replica open). */
  readonly ready: Promise<void>;
  put(collective: string, id: string, value: JsonValue): Promise<WriteReceipt>;
  delete(collective: string, id: string): Promise<WriteReceipt>;
  /** Field by field only: some fields of a record, and why a record holds its value. */
  patch(collective: string, id: string, fields: PatchInput): Promise<WriteReceipt>;
  explain(collective: string, id: string): Promise<RecordExplanation>;
  instanceId(): Promise<string>;
  list(collective: string): Promise<RecordEntry[]>;
  start(): Promise<void>;
  stop(): Promise<void>;
  syncOnce(): Promise<void>;
  initialSync(): Promise<SyncProgress>;
  status(): SyncStatus | Promise<SyncStatus>;
  pending(options?: PendingWritesOptions): Promise<PendingWrite[]>;
  pendingIds(collective: string): Promise<string[]>;
  clearLocalData(options?: ClearLocalDataOptions): Promise<void>;
  on(event: 'status', listener: (status: SyncStatus) => void): () => void;
  on(event: 'progress', listener: (progress: SyncProgress) => void): () => void;
  on(event: 'change', listener: (change: PageChangeEvent) => void): () => void;
  on(event: 'conflict', listener: (conflict: ConflictInfo) => void): () => void;
  on(event: 'error', listener: (error: SyncErrorData) => void): () => void;
  on(event: 'ack', listener: (ack: AckEvent) => void): () => void;
  on(event: 'reset', listener: (reset: ResetEvent) => void): () => void;
  close(): Promise<void>;
}

/** Makes a client for a replica name, server URL, token and config. */
export type ClientFactory = (options: {
  readonly name: string;
  readonly url: string;
  readonly token: string;
  readonly config: Pick<SyncConfigInput, 'conflictResolution' | 'direction'>;
}) => DemoClient | Promise<DemoClient>;

/** What the page hears from the session. */
export interface SessionListeners {
  status(status: SyncStatus): void;
  progress(progress: SyncProgress): void;
  change(change: PageChangeEvent): void;
  conflict(conflict: ConflictInfo): void;
  error(error: SyncErrorData): void;
  /** The server dealt with some writes (the outbox shrank). */
  ack(ack: AckEvent): void;
  /** The local data were cleared (here or in another tab), or a client reset moved on: what is shown may be stale. */
  reset(reset: ResetEvent): void;
  /** A new client is in place (after open or a settings change). */
  ready(): void;
}

/** The demo's sync client, replaced when the settings change. */
export class SyncSession {
  readonly #factory: ClientFactory;
  readonly #options: { readonly name: string; readonly url: string; readonly token: string };
  readonly #listeners: SessionListeners;
  #settings: DeviceSettings;
  #client: DemoClient | undefined;
  /** Settles with the client being made; data calls wait on it during a replacement. */
  #making = deferred<DemoClient>();
  #unsubscribe: (() => void)[] = [];
  /** Every lifecycle call runs after the one before (no start racing a restart). */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    factory: ClientFactory,
    options: { readonly name: string; readonly url: string; readonly token: string },
    settings: DeviceSettings,
    listeners: SessionListeners,
  ) {
    this.#factory = factory;
    this.#options = options;
    this.#settings = settings;
    this.#listeners = listeners;
  }

  get settings(): DeviceSettings {
    return this.#settings;
  }

  /**
   * The client for data calls: the current one, or the one being made (a write during
   * a settings change waits a moment rather than failing).
   */
  current(): Promise<DemoClient> {
    return this.#making.promise;
  }

  /** The client, for lifecycle calls (which run after its making, in the queue). */
  get #live(): DemoClient {
    if (this.#client === undefined) throw new Error('the sync client is not open yet');
    return this.#client;
  }

  /** Makes the client, catches up (progress events fill the bar), starts if asked. */
  open(): Promise<void> {
    return this.#serial(async () => {
      await this.#create();
      await this.#catchUpAndStart();
    });
  }

  /** Applies a conflict policy and direction: a new client when they changed. */
  configure(policy: ConflictPolicy, direction: SyncDirection): Promise<void> {
    return this.#serial(async () => {
      const previous = this.#settings;
      if (previous.policy === policy && previous.direction === direction) return;
      this.#settings = { ...previous, policy, direction };
      this.#making = deferred();
      await this.#dispose();
      await this.#create();
      await this.#catchUpAndStart();
    });
  }

  /** Starts or stops background sync (whatever the setting said before). */
  setBackground(on: boolean): Promise<void> {
    return this.#serial(async () => {
      this.#settings = { ...this.#settings, background: on };
      await (on ? this.#live.start() : this.#live.stop());
    });
  }

  /** One push + pull now. */
  syncOnce(): Promise<void> {
    return this.#serial(() => this.#live.syncOnce());
  }

  /**
   * Catches up in batches with progress (after seeding): background sync pauses
   * meanwhile, so the catch-up is not raced by the loop and the bar shows it all.
   */
  catchUp(before?: () => Promise<unknown>): Promise<SyncProgress> {
    return this.#serial(async () => {
      if (this.#settings.background) await this.#live.stop();
      try {
        await before?.();
        return await this.#live.initialSync();
      } finally {
        if (this.#settings.background) await this.#live.start();
      }
    });
  }

  /** Stops sync and closes the client (page unload). */
  close(): Promise<void> {
    return this.#serial(async () => {
      this.#making = deferred();
      this.#making.reject(new Error('this page closed its sync client'));
      await this.#dispose();
    });
  }

  async #create(): Promise<void> {
    const { policy, direction } = this.#settings;
    const making = this.#making;
    let client: DemoClient;
    try {
      client = await this.#factory({ ...this.#options, config: { conflictResolution: policy, direction } });
      this.#client = client;
      await client.ready;
    } catch (error) {
      making.reject(error);
      throw error;
    }
    making.resolve(client);
    const l = this.#listeners;
    this.#unsubscribe = [
      client.on('status', (s) => l.status(s)),
      client.on('progress', (p) => l.progress(p)),
      client.on('change', (c) => l.change(c)),
      client.on('conflict', (c) => l.conflict(c)),
      client.on('error', (e) => l.error(e)),
      client.on('ack', (a) => l.ack(a)),
      client.on('reset', (r) => l.reset(r)),
    ];
    l.ready();
    l.status(await client.status());
  }

  async #catchUpAndStart(): Promise<void> {
    try {
      if (this.#settings.direction !== 'push-only') await this.#live.initialSync();
    } catch (error) {
      // Offline or a server error: said on the page; background sync still starts and
      // keeps retrying, and the client is in place whatever happened.
      this.#listeners.error(SyncError.from(error).toJSON());
    }
    if (this.#settings.background) await this.#live.start();
  }

  async #dispose(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    const client = this.#client;
    this.#client = undefined;
    await client?.close();
  }

  #serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

/** A promise with its settle functions; its rejection counts as handled. */
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
