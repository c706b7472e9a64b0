/**
 * The writes of one Postgres push transaction, held in this process until they are
 * sent in one statement. A push transaction holds the push lock that every process
 * waits for (see `postgres-server-store.ts`), and each round trip to the database
 * under it is time no other push anywhere can use: a push was seven round trips, of
 * which four wrote (the latest version, the rows, the applied seq, the instance record).
 * Held here, a group of pushes writes everything, and sends its notification, in one
 * statement before COMMIT, and reads the latest version once; what is left per push are
 * its three reads, which see what is held here over what the database has.
 */
import { recordKey, type InstanceRecord, type ServerRecord } from '../../types.ts';
import { utf8Bytes } from '../change-page.ts';
import { instanceParams } from '../sql/instance-row.ts';
import { fieldsColumn, overColumn, valueColumn } from '../sql/record-row.ts';

/**
 * Rows held past this many bytes of values are sent at once (the rest still waits for
 * the commit), so a group of large pushes neither holds all of them in one message nor
 * in memory twice.
 */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;

/** What one transaction has written and not sent yet. */
export interface PendingWrites {
  /** Rows in write order; for each record only its last write is sent. */
  addRows(rows: readonly ServerRecord[]): void;
  /** Bytes of values held. */
  readonly bytes: number;
  /** The held row of a record, if any. */
  row(collective: string, id: string): ServerRecord | undefined;
  readonly applied: Map<string, number>;
  readonly instances: Map<string, InstanceRecord>;
  /** Parameters of `PG_SQL.flushWrites` (but the notification's), then nothing is held. */
  take(): unknown[];
  readonly empty: boolean;
}

/** Nothing held yet. */
export function pendingWrites(): PendingWrites {
  // Last write per record key (one INSERT cannot touch a row twice), with its value as JSON text.
  let rows = new Map<string, { readonly row: ServerRecord; readonly value: string | null }>();
  let bytes = 0;
  const applied = new Map<string, number>();
  const instances = new Map<string, InstanceRecord>();
  return {
    addRows(written) {
      for (const row of written) {
        const value = valueColumn(row);
        rows.set(recordKey(row.collective, row.id), { row, value });
        bytes += value === null ? 0 : utf8Bytes(value);
      }
    },
    get bytes() {
      return bytes;
    },
    row: (collective, id) => rows.get(recordKey(collective, id))?.row,
    applied,
    instances,
    take() {
      const held = [...rows.values()];
      const instanceRows = [...instances.values()].map(instanceParams);
      const column = <K extends keyof ServerRecord>(name: K) => held.map(({ row }) => row[name]);
      const params = [
        column('collective'),
        column('id'),
        column('op'),
        held.map(({ value }) => value),
        column('hlc'),
        column('source'),
        column('version'),
        held.map(({ row }) => fieldsColumn(row)),
        held.map(({ row }) => overColumn(row)),
        [...applied.keys()],
        [...applied.values()],
        ...[0, 1, 2, 3, 4, 5].map((i) => instanceRows.map((row) => row[i])),
      ];
      rows = new Map();
      bytes = 0;
      applied.clear();
      instances.clear();
      return params;
    },
    get empty() {
      return rows.size === 0 && applied.size === 0 && instances.size === 0;
    },
  };
}
