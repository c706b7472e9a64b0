/**
 * A Postgres push transaction's steps (see `postgres-server-store.ts` for why pushes
 * take one lock, and `push-groups.ts` for how they are grouped), on one pooled
 * connection, in as few round trips as the work allows: two for a group. BEGIN, which
 * takes the push lock and reads the latest version, waits for the first read and goes
 * with it; a group's reads are one statement (`readAhead`, see `../read-ahead.ts`);
 * writes are held in this process (see `pending-writes.ts`), reads see them over what
 * the database has, and they go in one statement with COMMIT. The statements that share
 * a round trip carry their parameters in their text (`inline-statement.ts`).
 */
import type pg from 'pg';
import { ErrorCode, SyncError } from '../../../protocol/errors.ts';
import type { SyncCursor } from '../../../protocol/types.ts';
import { recordKey, type ServerRecord } from '../../types.ts';
import type { ReadAhead, ReadAheadTransaction } from '../read-ahead.ts';
import { instanceFromRow, type InstanceRow } from '../sql/instance-row.ts';
import { recordFromRow, type RecordRow } from '../sql/record-row.ts';
import type { TransactionSteps } from '../store-transaction.ts';
import { encodeCommitNote } from './commit-note.ts';
import { inlineStatement, type InlineParam } from './inline-statement.ts';
import { MAX_PENDING_BYTES, pendingWrites } from './pending-writes.ts';
import { PG_SQL, POSTGRES_CHANNEL } from './postgres-schema.ts';

/** A bigint column `latest` as pg returns it (text), as a number. */
export function latestOf(result: pg.QueryResult<{ latest: string }>): SyncCursor {
  return Number((result.rows[0] as { latest: string }).latest);
}

/** The steps of one push transaction on `client`; `token` marks its commit notification as this store's own. */
export function pushTransactionSteps(client: pg.ClientBase, token: string): TransactionSteps {
  const pending = pendingWrites();
  /** The highest version so far: read as the push lock is taken (no other writer holds it meanwhile), then counted on. */
  let latest: number | undefined;
  // What the commit's notification names: collectives written, and the versions.
  const collectives = new Set<string>();
  let after = Number.POSITIVE_INFINITY;
  let upTo = 0;
  /** BEGIN has been answered (see the file comment: it waits for the first read). */
  let begun = false;
  /** BEGIN has been sent, answered or not: a rollback is then due. */
  let sent = false;
  /** Reads the latest version from the last of `results`, those of {@link PG_SQL.beginPushReadingLatest}. */
  const began = (results: readonly pg.QueryResult[]): void => {
    latest = latestOf(results[results.length - 1] as pg.QueryResult<{ latest: string }>);
    begun = true;
  };
  const begin = async (): Promise<void> => {
    // A multi-statement query answers one result per statement: the latest version is the last.
    if (begun) return;
    sent = true;
    began((await client.query(PG_SQL.beginPushReadingLatest)) as unknown as pg.QueryResult[]);
  };
  const flushParams = (note: string | null): InlineParam[] => [...(pending.take() as InlineParam[]), note === null ? null : POSTGRES_CHANNEL, note];
  const flush = async (note: string | null): Promise<void> => {
    if (pending.empty && note === null) return;
    await client.query(PG_SQL.flushWrites, flushParams(note));
  };
  const tx: ReadAheadTransaction = {
    getRecords: async (keys) => {
      const found = new Map<string, ServerRecord>();
      if (keys.length === 0) return found;
      await begin();
      const { rows } = await client.query<RecordRow>(PG_SQL.getRecords, [keys.map((k) => k.collective), keys.map((k) => k.id)]);
      for (const row of rows) found.set(recordKey(row.collective, row.id), recordFromRow(row));
      for (const { collective, id } of keys) {
        const held = pending.row(collective, id);
        if (held !== undefined) found.set(recordKey(collective, id), held);
      }
      return found;
    },
    getAppliedSeq: async (source) => {
      const held = pending.applied.get(source);
      if (held !== undefined) return held;
      await begin();
      const { rows } = await client.query<{ seq: string }>(PG_SQL.getAppliedSeq, [source]);
      return rows[0] === undefined ? 0 : Number(rows[0].seq);
    },
    setAppliedSeq: async (source, seq) => {
      pending.applied.set(source, seq);
    },
    getInstance: async (instanceId) => {
      const held = pending.instances.get(instanceId);
      if (held !== undefined) return held;
      await begin();
      const { rows } = await client.query<InstanceRow>(PG_SQL.getInstance, [instanceId]);
      return rows[0] === undefined ? undefined : instanceFromRow(rows[0]);
    },
    putInstance: async (record) => {
      pending.instances.set(record.instanceId, record);
    },
    readAhead: async (keys) => {
      const params = [keys.records.map((k) => k.collective), keys.records.map((k) => k.id), keys.sources, keys.instanceIds];
      let rows: (RecordRow & { kind: 'r' | 'a' | 'i' })[];
      if (begun) ({ rows } = await client.query<RecordRow & { kind: 'r' | 'a' | 'i' }>(PG_SQL.readAhead, params));
      else {
        // With BEGIN, in one round trip: the begin's results, then the reads'.
        sent = true;
        const results = (await client.query(`${PG_SQL.beginPushReadingLatest}; ${inlineStatement(PG_SQL.readAhead, params)}`)) as unknown as pg.QueryResult[];
        began(results.slice(0, -1));
        rows = (results[results.length - 1] as pg.QueryResult<RecordRow & { kind: 'r' | 'a' | 'i' }>).rows;
      }
      const found: ReadAhead = { records: new Map(), appliedSeqs: new Map(), instances: new Map() };
      for (const row of rows) {
        if (row.kind === 'r') found.records.set(recordKey(row.collective, row.id), recordFromRow(row));
        else if (row.kind === 'a') found.appliedSeqs.set(row.collective, Number(row.version));
        else found.instances.set(row.collective, instanceFromRow({ instance_id: row.collective, owner: row.id, key_id: row.op, seq: row.version, recent: row.value ?? '[]', answers: row.hlc }));
      }
      // What this transaction holds and has not sent yet is newer than the database.
      for (const { collective, id } of keys.records) {
        const held = pending.row(collective, id);
        if (held !== undefined) found.records.set(recordKey(collective, id), held);
      }
      for (const [source, seq] of pending.applied) found.appliedSeqs.set(source, seq);
      for (const [instanceId, record] of pending.instances) found.instances.set(instanceId, record);
      return found;
    },
    latestVersion: async () => {
      await begin();
      if (latest === undefined) throw new SyncError(ErrorCode.INTERNAL, 'A Postgres push transaction was read before it began');
      return latest;
    },
    writeRecords: async (writes) => {
      if (writes.length === 0) return [];
      await begin();
      if (latest === undefined) throw new SyncError(ErrorCode.INTERNAL, 'A Postgres push transaction wrote before it began');
      let version = latest;
      after = Math.min(after, version);
      const written = writes.map((row): ServerRecord => ({ ...row, version: ++version }));
      latest = upTo = version;
      for (const row of written) collectives.add(row.collective);
      pending.addRows(written);
      if (pending.bytes > MAX_PENDING_BYTES) await flush(null);
      return written;
    },
  };
  return {
    tx,
    // Sent with the first read (see the file comment).
    begin: () => undefined,
    commit: async (wrote) => {
      if (!begun && pending.empty) return; // nothing was read or written: no transaction to end
      await begin();
      // The notification is delivered when the transaction commits.
      const note = wrote ? encodeCommitNote(token, [...collectives], [after, upTo]) : null;
      if (pending.empty && note === null) await client.query('COMMIT');
      else await client.query(`${inlineStatement(PG_SQL.flushWrites, flushParams(note))}; COMMIT`);
    },
    rollback: async () => {
      if (sent) await client.query('ROLLBACK').catch(() => undefined);
    },
  };
}
