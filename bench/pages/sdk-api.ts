/**
 * The shape of `window.pulseSdk` (implemented by sdk-main.ts over `createSyncClient`),
 * declared on its own so the Node driver type-checks without the client bundle.
 */

/** Where a bench client syncs to. */
export interface BenchClientOptions {
  /** Replica (database) name: fresh per run. */
  readonly name: string;
  readonly url: string;
  readonly token: string;
}

/** What the SDK bench page offers to the driver. */
export interface PulseSdkApi {
  /** Times `putMany` of `count` records into a fresh replica; ms. */
  putMany(options: BenchClientOptions & { count: number; bytes: number }): Promise<number>;
  /** Times `count` awaited `put`s into a fresh replica; ms. */
  putOne(options: BenchClientOptions & { count: number; bytes: number }): Promise<number>;
  /** Opens a fresh replica and waits for its worker (not timed). */
  prepare(options: BenchClientOptions & { config?: Record<string, number | string> }): Promise<void>;
  /** Times `initialSync` on a prepared replica, with the longest main-thread task. */
  initialSync(options: { name: string }): Promise<{ ms: number; pulled: number; longestTaskMs: number; longTasks: number }>;
  /** Starts a live-connected device that records when each change arrives. */
  startDevice(options: BenchClientOptions): Promise<void>;
  /** Puts one record on a device; resolves with when it started (timeOrigin + now). */
  write(options: { name: string; collective: string; id: string }): Promise<number>;
  /** When the change for `id` arrived on this page (timeOrigin + now); NaN after the timeout. */
  arrival(options: { id: string; timeoutMs: number }): Promise<number>;
  /** Stops a device; its page's longest main-thread task while it ran (ms). */
  stopDevice(options: { name: string }): Promise<number>;
}

declare global {
  interface Window {
    pulseSdk: PulseSdkApi;
  }
}
