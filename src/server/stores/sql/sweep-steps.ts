/**
 * The tombstone sweep's steps (see `tombstone-sweep.ts`) over the shared SQL, for both
 * SQL stores. What differs — how a statement runs (better-sqlite3 is synchronous, pg
 * is not), how a transaction begins and takes the write lock, and how several floors
 * are written at once — comes from the store.
 */
import type { SyncCursor } from '../../../protocol/types.ts';
import type { SweepSteps } from '../tombstone-sweep.ts';
import { GC_META, type StoreSql } from './store-sql.ts';

/** How a SQL store runs the sweep's statements, inside the transaction it begins. */
export interface SweepRunner {
  /** Runs `statement` with `params` and returns its rows (bigint columns may come back as strings). */
  rows<T>(statement: string, params: readonly unknown[]): Promise<T[]>;
  begin(): void | Promise<void>;
  commit(): void | Promise<void>;
  rollback(): void | Promise<void>;
  /** Raises each collective's floor to its value (never lowers one). */
  raiseFloors(floors: ReadonlyMap<string, SyncCursor>): Promise<void>;
}

type Num = number | string;

/** The sweep steps of a SQL store running `sql` through `runner`. */
export function sqlSweepSteps(runner: SweepRunner, sql: StoreSql): SweepSteps {
  const rows = <T>(statement: string, params: readonly unknown[]): Promise<T[]> => runner.rows<T>(statement, params);
  return {
    begin: () => runner.begin(),
    commit: () => runner.commit(),
    rollback: () => runner.rollback(),
    readState: async () => {
      const meta = new Map((await rows<{ key: string; value: string }>(sql.gcState, [])).map((row) => [row.key, Number(row.value)]));
      const marks = await rows<{ made_at: Num; version: Num }>(sql.gcMarks, []);
      return {
        floor: meta.get(GC_META.floor) ?? 0,
        scanned: meta.get(GC_META.scanned) ?? 0,
        marks: marks.map((mark) => ({ at: Number(mark.made_at), version: Number(mark.version) })),
      };
    },
    latestVersion: async () => Number((await rows<{ latest: Num }>(sql.latestVersion, []))[0]?.latest ?? 0),
    putMark: async (mark) => {
      await rows(sql.putMark, [mark.at, mark.version]);
    },
    dropMarksBefore: async (at) => {
      await rows(sql.dropMarksBefore, [at]);
    },
    scan: async (after, upTo, limit) => {
      const [found] = await rows<{ n: Num; last: Num }>(sql.sweepScan, [after, upTo, limit]);
      return { rows: Number(found?.n ?? 0), last: Number(found?.last ?? 0) };
    },
    removeTombstones: async (after, through) =>
      (await rows<{ collective: string; version: Num }>(sql.removeTombstones, [after, through])).map((row) => ({
        collective: row.collective,
        version: Number(row.version),
      })),
    saveState: async (floor, scanned, floors) => {
      await rows(sql.setMeta, [GC_META.floor, String(floor)]);
      await rows(sql.setMeta, [GC_META.scanned, String(scanned)]);
      if (floors.size > 0) await runner.raiseFloors(floors);
    },
  };
}
