/**
 * What the server-store contract suites share: the fixture a store factory returns, rows
 * to write, and small helpers. Imports only `src/` and vitest, as the suites do.
 */
import { formatHlc } from '../clock/hlc.ts';
import type { JsonValue } from '../protocol/types.ts';
import type { ServerRecord, ServerRecordWrite, ServerStore } from '../server/types.ts';

/** What one test gets from a store factory. */
export interface StoreFixture {
  /** A fresh, empty store. */
  readonly store: ServerStore;
  /** Closes `store` and opens the same data again; absent for stores that do not persist. */
  readonly reopen?: () => Promise<ServerStore>;
  /** A second, live store over the same data (another process in real life); absent for single-process stores. */
  readonly another?: () => Promise<ServerStore>;
  /** Releases everything the fixture made. */
  readonly dispose: () => Promise<void>;
}

export const SOURCE_A = '0190f5e1-0000-7000-8000-00000000000a';
export const SOURCE_B = '0190f5e1-0000-7000-8000-00000000000b';

let clock = 1_700_000_000_000;

/** A row to write, stamped with a fresh, later HLC each call. */
export function put(collective: string, id: string, value: JsonValue, source = SOURCE_A): ServerRecordWrite {
  return { collective, id, op: 'put', value, hlc: formatHlc({ wallMs: ++clock, counter: 0, node: source.slice(-4) }), source };
}

export function tombstone(collective: string, id: string, source = SOURCE_A): ServerRecordWrite {
  return { collective, id, op: 'delete', hlc: formatHlc({ wallMs: ++clock, counter: 0, node: source.slice(-4) }), source };
}

export async function write(store: ServerStore, ...rows: ServerRecordWrite[]): Promise<ServerRecord[]> {
  return store.transaction((tx) => tx.writeRecords(rows));
}

/** Every row after `after`, paging `limit` at a time (bounded). */
export async function readAll(store: ServerStore, after = 0, limit = 1000): Promise<ServerRecord[]> {
  const rows: ServerRecord[] = [];
  let cursor = after;
  for (let page = 0; page < 10_000; page++) {
    const result = await store.readChanges({ after: cursor, limit });
    rows.push(...result.rows);
    cursor = result.newCursor;
    if (!result.hasMore) return rows;
  }
  throw new Error('readAll: too many pages');
}

export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Waits (bounded) until `condition` holds. */
export async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never happened: ${what}`);
}

/** Runs `test` on a fresh fixture from `open`, and disposes of it whatever happens. */
export async function withFixture(open: () => Promise<StoreFixture>, test: (fixture: StoreFixture) => Promise<void>): Promise<void> {
  const fixture = await open();
  try {
    await test(fixture);
  } finally {
    await fixture.dispose();
  }
}
