/**
 * The Postgres store's tables and statements. Tables are prefixed `pulsesync_` so they
 * can live beside an app's own. What SQLite says the same way comes from `store-sql.ts`;
 * what only Postgres can say (arrays through `unnest` and `ANY`, advisory locks,
 * NOTIFY) is here.
 */
import type pg from 'pg';
import { FIELDS_FRAME_BYTES, OVER_FRAME_BYTES, ROW_FRAME_BYTES } from '../change-page.ts';
import { INSTANCE_ANSWERS_COLUMN, INSTANCE_COLUMNS } from '../sql/instance-row.ts';
import { RECORD_COLUMNS } from '../sql/record-row.ts';
import { storeSql } from '../sql/store-sql.ts';
import { newStoreSecret } from '../store-secret.ts';

/** The channel pokes travel on. */
export const POSTGRES_CHANNEL = 'pulsesync_changes';

const RECORDS = 'pulsesync_records';
const GC_FLOORS = 'pulsesync_gc_floors';
const TABLES = {
  meta: 'pulsesync_meta',
  records: RECORDS,
  applied: 'pulsesync_applied',
  instances: 'pulsesync_instances',
  gcFloors: GC_FLOORS,
  gcMarks: 'pulsesync_gc_marks',
} as const;
/** The feed filter: after a version, in some collectives (null: all), not from a source (null: none). */
const FEED_WHERE = `version > $1 AND ($2::text[] IS NULL OR collective = ANY($2::text[])) AND ($3::text IS NULL OR source <> $3::text)`;

/** A row's `feedRowBytes` (see `change-page.ts`), in SQL: `to_json` quotes a text as `JSON.stringify` does. */
const ROW_SIZE = `${ROW_FRAME_BYTES} + octet_length(to_json(collective)::text) + octet_length(to_json(id)::text)
  + octet_length(to_json(hlc)::text) + octet_length(to_json(source)::text) + COALESCE(octet_length(value), 0)
  + COALESCE(${FIELDS_FRAME_BYTES} + octet_length(fields), 0) + COALESCE(${OVER_FRAME_BYTES} + octet_length(overruled), 0)`;

const SHARED = storeSql({
  tables: TABLES,
  tableOptions: '',
  param: (n) => `$${n}`,
  collectiveList: () => '(SELECT unnest($1::text[]) AS collective)',
});

/** See {@link PG_SQL.beginPush}. */
const BEGIN_PUSH = `BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(hashtext('pulsesync:push'))`;

/** One column array per parameter, in {@link RECORD_COLUMNS} order. */
const UPSERT_ROWS = `SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[])`;

/** The statement of {@link PG_SQL.feedPage}; `more` adds columns to the page's one-row head. */
function feedPageStatement(more: string): string {
  const floorOfPage = `CASE WHEN $2::text[] IS NULL THEN f.floor
        ELSE (SELECT COALESCE(MAX(g.floor), 0) FROM ${GC_FLOORS} g WHERE g.collective = ANY($2::text[])) END`;
  return `SELECT head.*, page.* FROM (
      SELECT l.latest, ${floorOfPage} AS floor${more} FROM (${SHARED.latestVersion}) l, (${SHARED.gcFloor}) f
    ) head LEFT JOIN LATERAL (
      SELECT ${RECORD_COLUMNS}, size FROM (
        SELECT feed.*, SUM(size) OVER w AS running, ROW_NUMBER() OVER w AS n FROM (
          SELECT ${RECORD_COLUMNS}, ${ROW_SIZE} AS size FROM ${RECORDS} WHERE ${FEED_WHERE} ORDER BY version LIMIT $4
        ) feed WINDOW w AS (ORDER BY version ROWS UNBOUNDED PRECEDING)
      ) cut WHERE $5::bigint IS NULL OR n <= 2 OR running - size <= $5::bigint
    ) page ON true ORDER BY page.version`;
}

/** Every statement the Postgres store runs. */
export const PG_SQL = {
  ...SHARED,
  /** Column `collective`: the collectives of the rows at versions above $1 up to $2. */
  collectivesBetween: `SELECT DISTINCT collective FROM ${RECORDS} WHERE version > $1 AND version <= $2`,
  /** Serialises schema creation across processes that start together. */
  schemaLock: `SELECT pg_advisory_xact_lock(hashtext('pulsesync:schema'))`,
  /**
   * Begins a push transaction and takes the lock that serialises pushes across
   * processes (see the comment of `postgres-server-store.ts`), in one round trip.
   * READ COMMITTED whatever the database's default: each statement must see what
   * pushes before the lock committed (REPEATABLE READ would snapshot before the lock).
   */
  beginPush: BEGIN_PUSH,
  /**
   * {@link beginPush}, then the latest version as the lock lets it be seen (column
   * `latest`, as `latestVersion`): the first thing a writing push needs, in the same
   * round trip.
   */
  beginPushReadingLatest: `${BEGIN_PUSH}; ${SHARED.latestVersion}`,
  /**
   * What a group of pushes will read (see `read-ahead.ts`), in one round trip: records
   * ($1 collectives, $2 ids), applied seqs ($3 sources), instance records ($4 ids). One
   * result of three kinds of row, told apart by `kind`, with the record's columns:
   * `r` a record ({@link RECORD_COLUMNS}); `a` an applied seq (`collective` the source,
   * `version` the seq); `i` an instance record (`collective` the id, `id` the owner, `op`
   * the key id, `value` the recent fingerprints, `hlc` the kept answers, `version` the
   * seq). `fields` and `overruled` are the record's only, null in the others.
   */
  readAhead: `SELECT 'r' AS kind, ${RECORD_COLUMNS} FROM ${RECORDS} WHERE (collective, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
    UNION ALL SELECT 'a', source, NULL, NULL, NULL, NULL, NULL, seq, NULL, NULL FROM ${TABLES.applied} WHERE source = ANY($3::text[])
    UNION ALL SELECT 'i', instance_id, owner, key_id, recent, answers, NULL, seq, NULL, NULL FROM ${TABLES.instances} WHERE instance_id = ANY($4::text[])`,
  /** Parameters: collectives, ids (arrays of the same length). */
  getRecords: `SELECT ${RECORD_COLUMNS} FROM ${RECORDS} WHERE (collective, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
  /**
   * What a push transaction held back (see `pending-writes.ts`), in one statement:
   * record rows ($1–$9, one array per column in {@link RECORD_COLUMNS} order), applied
   * seqs ($10 sources, $11 seqs), instance records ($12–$17, in `INSTANCE_COLUMNS`
   * order), and the commit notification ($18 channel, $19 payload; a null channel
   * sends none). Empty arrays write nothing.
   */
  flushWrites: `WITH written AS (${SHARED.upsertRecords(UPSERT_ROWS)} RETURNING 1),
    applied AS (
      INSERT INTO ${TABLES.applied} (source, seq) SELECT * FROM unnest($10::text[], $11::bigint[])
      ON CONFLICT (source) DO UPDATE SET seq = excluded.seq RETURNING 1),
    instances AS (
      INSERT INTO ${TABLES.instances} (${INSTANCE_COLUMNS})
        SELECT * FROM unnest($12::text[], $13::text[], $14::text[], $15::bigint[], $16::text[], $17::text[])
      ON CONFLICT (instance_id) DO UPDATE
        SET owner = excluded.owner, key_id = excluded.key_id, seq = excluded.seq, recent = excluded.recent, answers = excluded.answers RETURNING 1)
    SELECT pg_notify($18::text, $19::text) WHERE $18::text IS NOT NULL`,
  /**
   * One page of the feed with what the page needs besides its rows, in one statement,
   * so from one snapshot with no transaction around it (a statement's subqueries share
   * its snapshot) and in one round trip where a transaction took four.
   *
   * Parameters: after, collectives (null: all), excluded source (null: none), limit,
   * byte cap (null: none). Columns: `latest` (as `latestVersion`), `floor` (the gc floor
   * of those collectives), then the page's rows, {@link RECORD_COLUMNS} and `size`
   * ({@link ROW_SIZE}), in version order; an empty page is one row whose record columns
   * are null. Within the limit, only rows that start before the cap (and the first two)
   * leave the database, so no row past the page but the one that shows more follow is
   * read out (`change-page.ts` cuts the page); the running sum stops at the limit, and a
   * value is not detoasted to be measured.
   */
  feedPage: feedPageStatement(''),
  /** {@link feedPage} with a column `total`: every matching row after `after`. */
  feedPageWithTotal: feedPageStatement(`, (SELECT COUNT(*) FROM ${RECORDS} WHERE ${FEED_WHERE}) AS total`),
  /** Parameters: collectives, floors (arrays of the same length). */
  raiseGcFloors: SHARED.upsertGcFloors(`SELECT * FROM unnest($1::text[], $2::bigint[])`),
  listen: `LISTEN ${POSTGRES_CHANNEL}`,
} as const;

/** What every process over one database shares from its meta table. */
export interface StoreIdentity {
  readonly serverId: string;
  readonly secret: string;
}

/**
 * Creates the tables, the server id and the secret when missing, under a lock (several
 * processes may start together), and returns the server id and secret.
 */
export async function createSchema(client: pg.ClientBase): Promise<StoreIdentity> {
  await client.query('BEGIN');
  try {
    await client.query(PG_SQL.schemaLock);
    await client.query(PG_SQL.schema);
    // Tables made before the records' field stamps and marks and the instances' answers were kept.
    await addColumn(client, TABLES.records, 'fields', 'fields text');
    await addColumn(client, TABLES.records, 'overruled', 'overruled text');
    await addColumn(client, TABLES.instances, 'answers', INSTANCE_ANSWERS_COLUMN);
    await client.query(PG_SQL.insertServerId, [globalThis.crypto.randomUUID()]);
    await client.query(PG_SQL.insertSecret, [newStoreSecret()]);
    const serverId = await client.query<{ value: string }>(PG_SQL.selectServerId);
    const secret = await client.query<{ value: string }>(PG_SQL.selectSecret);
    await client.query('COMMIT');
    return { serverId: (serverId.rows[0] as { value: string }).value, secret: (secret.rows[0] as { value: string }).value };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Adds `column` (its definition) to `table` when the catalogue says it has no column
 * `name`. Looked up first: even with IF NOT EXISTS, ALTER TABLE waits for an ACCESS
 * EXCLUSIVE lock, and a process starting while another one pushes deadlocked on it (the
 * push holds its row locks on the table and waits for the advisory lock this one holds).
 */
async function addColumn(client: pg.ClientBase, table: string, name: string, column: string): Promise<void> {
  const found = await client.query(`SELECT 1 FROM pg_attribute WHERE attrelid = '${table}'::regclass AND attname = '${name}' AND NOT attisdropped`);
  if (found.rowCount === 0) await client.query(`ALTER TABLE ${table} ADD COLUMN ${column}`);
}
