/**
 * One device's sync client and its lifecycle: made from the device's settings, made
 * again when they change (policy and direction are fixed per client), started and
 * stopped for background sync. The page subscribes once here; listeners survive the
 * client being replaced.
 */
import { SyncError, type ConflictInfo, type SyncErrorData, type SyncProgress, type SyncStatus } from 'pulsesync';
import type { ChangeEvent, JsonValue, RecordEntry, SyncConfigInput } from 'pulsesync';
import type { DeviceSettings } from './device.ts';

/** The part of pulsesync's SyncClient the demo uses. */
export interface DemoClient {
  /** Resolves once the worker is connected (its replica open). */
  readonly ready: Promise<void>;
  put(collective: string, id: string, value: JsonValue): Promise<void>;
  delete(collective: string, id: string): Promise<void>;
  list(collective: string): Promise<RecordEntry[]>;
  start(): Promise<void>;
  stop(): Promise<void>;
  syncOnce(): Promise<void>;
  initialSync(): Promise<SyncProgress>;
  status(): SyncStatus | Promise<SyncStatus>;
  on(event: 'status', listener: (status: SyncStatus) => void): () => void;
  on(event: 'progress', listener: (progress: SyncProgress) => void): () => void;
  on(event: 'change', listener: (change: ChangeEvent) => void): () => void;
  on(event: 'conflict', listener: (conflict: ConflictInfo) => void): () => void;
  on(event: 'error', listener: (error: SyncErrorData) => void): () => void;
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
  change(change: ChangeEvent): void;
  conflict(conflict: ConflictInfo): void;
  error(error: SyncErrorData): void;
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

  /** The current client; throws before {@link open}. */
  get client(): DemoClient {
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

  /** Applies new settings: a new client when policy or direction changed. */
  configure(settings: DeviceSettings): Promise<void> {
    return this.#serial(async () => {
      const previous = this.#settings;
      this.#settings = settings;
      if (previous.policy !== settings.policy || previous.direction !== settings.direction) {
        await this.#dispose();
        await this.#create();
        await this.#catchUpAndStart();
      } else if (previous.background !== settings.background) {
        await (settings.background ? this.client.start() : this.client.stop());
      }
    });
  }

  /** One push + pull now. */
  syncOnce(): Promise<void> {
    return this.#serial(() => this.client.syncOnce());
  }

  /**
   * Catches up in batches with progress (after seeding): background sync pauses
   * meanwhile, so the catch-up is not raced by the loop and the bar shows it all.
   */
  catchUp(before?: () => Promise<unknown>): Promise<SyncProgress> {
    return this.#serial(async () => {
      if (this.#settings.background) await this.client.stop();
      try {
        await before?.();
        return await this.client.initialSync();
      } finally {
        if (this.#settings.background) await this.client.start();
      }
    });
  }

  /** Stops sync and closes the client (page unload). */
  close(): Promise<void> {
    return this.#serial(() => this.#dispose());
  }

  async #create(): Promise<void> {
    const { policy, direction } = this.#settings;
    const client = await this.#factory({ ...this.#options, config: { conflictResolution: policy, direction } });
    this.#client = client;
    await client.ready;
    const l = this.#listeners;
    this.#unsubscribe = [
      client.on('status', (s) => l.status(s)),
      client.on('progress', (p) => l.progress(p)),
      client.on('change', (c) => l.change(c)),
      client.on('conflict', (c) => l.conflict(c)),
      client.on('error', (e) => l.error(e)),
    ];
    l.ready();
    l.status(await client.status());
  }

  async #catchUpAndStart(): Promise<void> {
    try {
      if (this.#settings.direction !== 'push-only') await this.client.initialSync();
    } catch (error) {
      // Offline or a server error: said on the page; background sync still starts and
      // keeps retrying, and the client is in place whatever happened.
      this.#listeners.error(SyncError.from(error).toJSON());
    }
    if (this.#settings.background) await this.client.start();
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
