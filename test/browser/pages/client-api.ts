/**
 * The API of client.html (`window.pulse`): pulsesync's `createSyncClient` in a page,
 * several clients by replica name, every event recorded so the Node test can read
 * them with `page.evaluate` (functions cannot cross). Types only, so the Node side
 * type-checks without the page bundle.
 */
import type { AckEvent, PushOutcome, WriteReceipt } from '../../../src/engine/acks.ts';
import type { ConflictInfo, ResetEvent, SyncConfigInput } from '../../../src/engine/types.ts';
import type { SyncErrorData } from '../../../src/protocol/errors.ts';
import type { JsonValue, SyncProgress, SyncStatus } from '../../../src/protocol/types.ts';
import type { PatchInput, RecordExplanation } from '../../../src/store/field-seam.ts';
import type { PendingWrite } from '../../../src/store/outbox-view.ts';
import type { QueryCursor, QuerySpec } from '../../../src/query/types.ts';
import type { RecordEntry, RecordInput } from '../../../src/store/types.ts';
import type { LoseConnectionHow } from './lost-connection-api.ts';

/** How a page client connects. */
export interface PageClientOptions {
  /** Replica (IndexedDB database) name. */
  readonly name: string;
  readonly url: string;
  readonly token: string;
  /** Engine configuration (no resolver: functions cannot cross to the page). */
  readonly config?: Omit<SyncConfigInput, 'resolver'>;
  /** Make the worker in the page (pulsesync's own module), so `terminate` can kill it. */
  readonly ownWorker?: boolean;
  /** Start pulsesync's full worker (`startFullWorker`: collections and field-level records). */
  readonly fullWorker?: boolean;
  /** Use lost-connection-worker.ts (made in the page too), so `loseConnection` can close its database. */
  readonly losableWorker?: boolean;
  /** The client's `persist` option. */
  readonly persist?: boolean;
  /** Declare these collections (no indexes): a client with collections and pulsesync's collections worker. */
  readonly collections?: readonly string[];
}

/** How an initial sync started with `beginInitialSync` is doing. */
export type InitialSyncOutcome =
  | { readonly state: 'running' }
  | { readonly state: 'done'; readonly progress: SyncProgress }
  | { readonly state: 'failed'; readonly error: SyncErrorData };

/** Everything a page client reported since it opened (or since `clearEvents`). */
export interface ClientEventLog {
  readonly status: readonly SyncStatus[];
  readonly progress: readonly SyncProgress[];
  /** Records named by `change` events, local and remote. */
  readonly changedRecords: number;
  readonly conflicts: number;
  /** The `conflict` events themselves, oldest first. */
  readonly conflictEvents: readonly ConflictInfo[];
  readonly errors: readonly SyncErrorData[];
  readonly initialSync: InitialSyncOutcome | undefined;
  readonly acks: readonly AckEvent[];
  readonly resets: readonly ResetEvent[];
}

/** What the records of a collective look like, counted in the page (no 20k-record clone). */
export interface Census {
  readonly count: number;
  readonly distinctIds: number;
  /** Ids of the expected `r0000000…` range that are missing (at most 10 listed). */
  readonly missing: readonly string[];
  readonly missingCount: number;
  /** Records whose value has a numeric `n` that is not the index in their id `r…`. */
  readonly wrongValues: number;
}

/** Long tasks (≥ 50 ms) seen on the page's main thread while a watch ran. */
export interface LongTaskReport {
  readonly count: number;
  readonly longestMs: number;
  readonly entries: readonly { readonly startMs: number; readonly durationMs: number; readonly attribution: string }[];
}

/** `window.pulse`. Every call takes the replica name of a client opened with `open`. */
export interface PulsePageApi {
  open(options: PageClientOptions): Promise<void>;
  put(name: string, collective: string, id: string, value: JsonValue): Promise<WriteReceipt>;
  putMany(name: string, records: readonly RecordInput[]): Promise<WriteReceipt>;
  remove(name: string, collective: string, id: string): Promise<WriteReceipt>;
  /** `client.patch` (field-last-write-wins). */
  patch(name: string, collective: string, id: string, fields: PatchInput): Promise<WriteReceipt>;
  /** `client.explain` (field-last-write-wins). */
  explain(name: string, collective: string, id: string): Promise<RecordExplanation>;
  whenPushed(name: string, receipt: WriteReceipt): Promise<PushOutcome>;
  pending(name: string): Promise<PendingWrite[]>;
  pendingIds(name: string, collective: string): Promise<string[]>;
  clearLocalData(name: string, options?: { discardPending?: boolean }): Promise<void>;
  instanceId(name: string): Promise<string>;
  /** The names of this origin's IndexedDB databases (`indexedDB.databases()`). */
  databases(): Promise<string[]>;
  list(name: string, collective: string): Promise<RecordEntry[]>;
  /** `collection(collection).query(query)` of a client opened with `collections`: the ids of the page and its `next`. */
  query(name: string, collection: string, query: QuerySpec): Promise<{ ids: string[]; next?: QueryCursor }>;
  /** Starts counting this page's own `indexedDB.open` calls (the workers' are not the page's). */
  countDatabaseOpens(): void;
  /** This page's `indexedDB.open` calls since `countDatabaseOpens`. */
  databaseOpens(): number;
  /** Counts `collective`; with `expected`, checks for ids `r0000000 … r{expected-1}`. */
  census(name: string, collective: string, expected?: number): Promise<Census>;
  start(name: string): Promise<void>;
  stop(name: string): Promise<void>;
  syncOnce(name: string): Promise<void>;
  initialSync(name: string): Promise<SyncProgress>;
  /** Starts an initial sync and returns at once; its outcome lands in `events(name).initialSync`. */
  beginInitialSync(name: string): void;
  status(name: string): Promise<SyncStatus>;
  events(name: string): ClientEventLog;
  clearEvents(name: string): void;
  close(name: string): Promise<void>;
  /** Kills the client's worker outright (`Worker.terminate()`, no clean stop); needs `ownWorker`. */
  terminate(name: string): void;
  /**
   * Takes the replica's IndexedDB connections away under its worker (needs
   * `losableWorker`); resolves to how many were closed.
   */
  loseConnection(name: string, how: LoseConnectionHow): Promise<number>;
  /**
   * Deletes a replica's database (after `close`); resolves to how long the delete was
   * blocked by a connection still open (0: not at all), or -1 when still blocked after 10 s (the delete stays queued).
   */
  deleteDatabase(name: string): Promise<number>;
  /** Starts watching main-thread long tasks (forgets earlier ones). */
  watchLongTasks(): void;
  /** Soon keeps the main thread busy for `ms` in one task (a timer's): a control that the watch works. */
  blockMainThread(ms: number): void;
  longTasks(): LongTaskReport;
}

declare global {
  interface Window {
    pulse: PulsePageApi;
  }
}
