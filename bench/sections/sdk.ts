/**
 * The SDK side of sections 1–3: pulsesync's browser client in the bench page (sdk.html),
 * against a real `pulsesync-server`. Filled in once src/client lands.
 */
import type { Page } from 'playwright-core';
import type { BenchBrowser } from '../lib/chromium.ts';
import type { BenchPages } from '../lib/pages.ts';

/** One initial-sync run as the SDK did it. */
export interface InitialSyncRun {
  readonly recordsPerSec: number;
  /** Sampled peak JS heap of the worker, MB (NaN when not measurable). */
  readonly workerHeapMb: number;
  /** Longest main-thread long task during the sync, ms (0 when none ≥ 50 ms). */
  readonly longestTaskMs: number;
}

/** Steady-state latency from a put on one device to the change event on another. */
export interface LatencyRun {
  readonly samplesMs: readonly number[];
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly longestTaskMs: number;
}

/** The SDK measurements, one run at a time, so the caller can interleave them with the limits. */
export interface SdkBench {
  /** Records written per `put` run (may be fewer than 10k if one-by-one is slow). */
  readonly putOneCount: number;
  putMany(): Promise<number>;
  putOne(): Promise<number>;
  initialSync(): Promise<InitialSyncRun>;
  latency(changes: number): Promise<LatencyRun>;
  close(): Promise<void>;
}

/** What opening the SDK bench needs. */
export interface SdkOptions {
  readonly root: string;
  readonly browser: BenchBrowser;
  readonly pages: BenchPages;
  readonly limitsPage: Page;
  readonly log: (message: string) => void;
}

/** Opens the SDK bench, or says why it cannot run. */
export async function openSdkBench(_options: SdkOptions): Promise<SdkBench | string> {
  return 'not available yet: no src/client';
}
