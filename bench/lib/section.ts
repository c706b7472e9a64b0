/**
 * What a section of the bench gets from bench/run.ts: the rounds asked, a log, a time
 * budget, and the resources sections share (the browser with the bench page, the
 * server seeded for the initial sync), opened on first use and closed at the end.
 */
import type { BenchBrowser } from './bench-browser.ts';
import type { Budget } from './budget.ts';
import type { SectionReport } from './report.ts';
import type { SeededServer } from './seeded-server.ts';

/** The records every browser section uses: ~250 B of JSON per value, 100k for the initial sync. */
export const RECORD_BYTES = 250;
/** The seeded feed of the initial sync. */
export const INITIAL = { count: 100_000, bytes: RECORD_BYTES, collective: 'seed' } as const;

/** What a section runs with. */
export interface SectionContext {
  readonly root: string;
  /** Rounds asked (BENCH_ROUNDS). */
  readonly rounds: number;
  readonly log: (message: string) => void;
  /** When the section must be done: it runs fewer rounds rather than overrun. */
  readonly budget: Budget;
  /** Headless Chromium with the bench page (shared, opened on first use). */
  browser(): Promise<BenchBrowser>;
  /** A server seeded with {@link INITIAL} (shared, started on first use). */
  seeded(): Promise<SeededServer>;
  /** Figures one section leaves for a later one (e.g. the 100k heap peak for the million run). */
  readonly shared: Map<string, number>;
}

/** A section: what it is called in BENCH_ONLY, and how it runs. */
export interface Section {
  readonly key: string;
  readonly title: string;
  /** The most it should take; its budget. */
  readonly minutes: number;
  run(ctx: SectionContext): Promise<SectionReport[]>;
}

let counter = 0;
/** A fresh database name for one run. */
export function freshName(what: string): string {
  return `bench-${what}-${Date.now()}-${counter++}`;
}

/** A section that could not run, as a report. */
export function failedSection(title: string, error: unknown): SectionReport {
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
  return { title, rows: [{ label: 'section', depth: 0, value: `failed: ${message}`, unit: '' }], notes: [] };
}
