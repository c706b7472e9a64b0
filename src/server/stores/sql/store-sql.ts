/**
 * The SQL both SQL stores run, written once. SQLite and Postgres agree on all of it
 * (`ON CONFLICT … DO UPDATE`, `excluded`, recursive CTEs, and `bigint`, which SQLite
 * reads as an integer column); what differs — table names, how a parameter is written,
 * SQLite's WITHOUT ROWID — comes from a {@link SqlDialect}. What only one of them can
 * say (Postgres arrays, SQLite's json_each) stays in that store.
 */
import { INSTANCE_ANSWERS_COLUMN, INSTANCE_COLUMNS } from './instance-row.ts';
import { RECORD_COLUMNS } from './record-row.ts';

/** What differs between the SQL stores. */
export interface SqlDialect {
  /** Table names. */
  readonly tables: {
    readonly meta: string;
    readonly records: string;
    readonly applied: string;
    readonly instances: string;
    /** Per collective, the highest version a tombstone sweep removed. */
    readonly gcFloors: string;
    /** The sweep's marks (see `tombstone-sweep.ts`). */
    readonly gcMarks: string;
  };
  /** Follows each CREATE TABLE's column list (SQLite: ` WITHOUT ROWID`, a table stored in its key's order). */
  readonly tableOptions: string;
  /**
   * The `n`-th parameter of a statement (1-based): `?` for SQLite, `$n` for Postgres.
   * The statements here use each parameter once and in order, so both read them alike.
   */
  param(n: number): string;
  /** A table of one text column `collective` from the first parameter, a list of names. */
  collectiveList(): string;
}

/** The shared statements, for one dialect. */
export interface StoreSql {
  /** Creates the tables and index when missing. Several statements: run with exec/simple query. */
  readonly schema: string;
  /** Keeps the first server id ever stored. Parameter: a new id. */
  readonly insertServerId: string;
  /** Column `value`: the server id. */
  readonly selectServerId: string;
  /** Keeps the first secret ever stored. Parameter: a new secret. */
  readonly insertSecret: string;
  /** Column `value`: the secret. */
  readonly selectSecret: string;
  /** Columns {@link INSTANCE_COLUMNS}. Parameter: the instance id. */
  readonly getInstance: string;
  /** Parameters: the {@link INSTANCE_COLUMNS}. */
  readonly putInstance: string;
  /** Column `latest`: the highest version in some collectives (parameter: their list), removed tombstones included; 0 when none. */
  readonly latestVersionIn: string;
  /** Column `seq`. Parameter: the source. */
  readonly getAppliedSeq: string;
  /** Parameters: the source, its seq. */
  readonly setAppliedSeq: string;
  /** Column `latest`: the highest version, removed tombstones included (the gc floor), 0 when empty. */
  readonly latestVersion: string;
  /** Column `collective`: every distinct collective, those whose rows a sweep removed included (see {@link distinctCollectives}). */
  readonly listCollectives: string;
  /** Upserts records by key; `rows` yields the {@link RECORD_COLUMNS} (a VALUES list or a SELECT). */
  upsertRecords(rows: string): string;
  /** Column `floor`: the store-wide gc floor, 0 before any sweep removed a row. */
  readonly gcFloor: string;
  /** Column `floor`: the highest gc floor of some collectives (parameter: their list), 0 when none. */
  readonly gcFloorIn: string;
  /** Columns `key`, `value`: the sweep's meta values `gcFloor` and `gcScanned` that exist. */
  readonly gcState: string;
  /** Parameters: a meta key, its value. */
  readonly setMeta: string;
  /** Columns `made_at`, `version`: every mark, oldest first. */
  readonly gcMarks: string;
  /** Parameters: at, version. */
  readonly putMark: string;
  /** Parameter: at. Drops the marks older than it. */
  readonly dropMarksBefore: string;
  /** Parameters: after, up to, limit. Columns `n` (how many rows in (after, up to], at most limit) and `last` (the version of the last of them). */
  readonly sweepScan: string;
  /** Parameters: after, through. Removes the tombstones in (after, through]; columns `collective`, `version` of each. */
  readonly removeTombstones: string;
  /** Raises gc floors by collective; `rows` yields (collective, floor) (a VALUES list or a SELECT). */
  upsertGcFloors(rows: string): string;
}

/** The meta keys of the tombstone sweep: the store-wide gc floor, and how far the sweep got. */
export const GC_META = { floor: 'gcFloor', scanned: 'gcScanned' } as const;

/** The statements of {@link StoreSql} in `dialect`. */
export function storeSql(dialect: SqlDialect): StoreSql {
  const { meta, records, applied, instances, gcFloors, gcMarks } = dialect.tables;
  const storeFloor = `SELECT COALESCE(MAX(CAST(value AS bigint)), 0) AS floor FROM ${meta} WHERE key = '${GC_META.floor}'`;
  const p = dialect.param;
  const options = dialect.tableOptions;
  return {
    schema: `
CREATE TABLE IF NOT EXISTS ${meta} (key text PRIMARY KEY, value text NOT NULL)${options};
CREATE TABLE IF NOT EXISTS ${records} (
  collective text NOT NULL,
  id text NOT NULL,
  op text NOT NULL,
  value text,
  hlc text NOT NULL,
  source text NOT NULL,
  version bigint NOT NULL UNIQUE,
  fields text,
  overruled text,
  PRIMARY KEY (collective, id)
)${options};
CREATE INDEX IF NOT EXISTS ${records}_by_collective ON ${records} (collective, version);
CREATE TABLE IF NOT EXISTS ${applied} (source text PRIMARY KEY, seq bigint NOT NULL)${options};
CREATE TABLE IF NOT EXISTS ${instances} (
  instance_id text PRIMARY KEY,
  owner text,
  key_id text,
  seq bigint NOT NULL,
  recent text NOT NULL,
  ${INSTANCE_ANSWERS_COLUMN}
)${options};
CREATE TABLE IF NOT EXISTS ${gcFloors} (collective text PRIMARY KEY, floor bigint NOT NULL)${options};
CREATE TABLE IF NOT EXISTS ${gcMarks} (made_at bigint PRIMARY KEY, version bigint NOT NULL)${options};
`,
    insertServerId: `INSERT INTO ${meta} (key, value) VALUES ('serverId', ${p(1)}) ON CONFLICT (key) DO NOTHING`,
    selectServerId: `SELECT value FROM ${meta} WHERE key = 'serverId'`,
    insertSecret: `INSERT INTO ${meta} (key, value) VALUES ('secret', ${p(1)}) ON CONFLICT (key) DO NOTHING`,
    selectSecret: `SELECT value FROM ${meta} WHERE key = 'secret'`,
    getInstance: `SELECT ${INSTANCE_COLUMNS} FROM ${instances} WHERE instance_id = ${p(1)}`,
    putInstance: `INSERT INTO ${instances} (${INSTANCE_COLUMNS}) VALUES (${[1, 2, 3, 4, 5, 6].map(p).join(', ')})
       ON CONFLICT (instance_id) DO UPDATE
         SET owner = excluded.owner, key_id = excluded.key_id, seq = excluded.seq, recent = excluded.recent, answers = excluded.answers`,
    // One backward index seek per collective on (collective, version), however many rows
    // each holds, and one key lookup of its floor; the larger of the two counts.
    latestVersionIn: `SELECT COALESCE(MAX(CASE WHEN COALESCE(rv, 0) > COALESCE(fv, 0) THEN rv ELSE fv END), 0) AS latest FROM (
         SELECT (SELECT MAX(r.version) FROM ${records} r WHERE r.collective = c.collective) AS rv,
                (SELECT g.floor FROM ${gcFloors} g WHERE g.collective = c.collective) AS fv
         FROM ${dialect.collectiveList()} c) t`,
    getAppliedSeq: `SELECT seq FROM ${applied} WHERE source = ${p(1)}`,
    setAppliedSeq: `INSERT INTO ${applied} (source, seq) VALUES (${p(1)}, ${p(2)}) ON CONFLICT (source) DO UPDATE SET seq = excluded.seq`,
    // The floor too: with the newest rows removed, MAX(version) would go back, and the
    // next write would take a version some cursor has already passed.
    latestVersion: `SELECT CASE WHEN r.v > f.floor THEN r.v ELSE f.floor END AS latest
       FROM (SELECT COALESCE(MAX(version), 0) AS v FROM ${records}) r, (${storeFloor}) f`,
    listCollectives: `${distinctCollectives(records)} UNION SELECT collective FROM ${gcFloors}`,
    upsertRecords: (rows) =>
      `INSERT INTO ${records} (${RECORD_COLUMNS}) ${rows}
       ON CONFLICT (collective, id) DO UPDATE
         SET op = excluded.op, value = excluded.value, hlc = excluded.hlc, source = excluded.source, version = excluded.version, fields = excluded.fields, overruled = excluded.overruled`,
    gcFloor: storeFloor,
    gcFloorIn: `SELECT COALESCE(MAX(g.floor), 0) AS floor FROM ${gcFloors} g WHERE g.collective IN (SELECT c.collective FROM ${dialect.collectiveList()} c)`,
    gcState: `SELECT key, value FROM ${meta} WHERE key IN ('${GC_META.floor}', '${GC_META.scanned}')`,
    setMeta: `INSERT INTO ${meta} (key, value) VALUES (${p(1)}, ${p(2)}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    gcMarks: `SELECT made_at, version FROM ${gcMarks} ORDER BY made_at`,
    putMark: `INSERT INTO ${gcMarks} (made_at, version) VALUES (${p(1)}, ${p(2)}) ON CONFLICT (made_at) DO UPDATE SET version = excluded.version`,
    dropMarksBefore: `DELETE FROM ${gcMarks} WHERE made_at < ${p(1)}`,
    // Walks the version index from `after`: at most `limit` entries, whatever the table holds.
    sweepScan: `SELECT COUNT(*) AS n, COALESCE(MAX(version), 0) AS last
       FROM (SELECT version FROM ${records} WHERE version > ${p(1)} AND version <= ${p(2)} ORDER BY version LIMIT ${p(3)}) s`,
    removeTombstones: `DELETE FROM ${records} WHERE version > ${p(1)} AND version <= ${p(2)} AND op = 'delete' RETURNING collective, version`,
    upsertGcFloors: (rows) =>
      `INSERT INTO ${gcFloors} (collective, floor) ${rows}
       ON CONFLICT (collective) DO UPDATE SET floor = CASE WHEN excluded.floor > ${gcFloors}.floor THEN excluded.floor ELSE ${gcFloors}.floor END`,
  };
}

/**
 * The distinct collectives of a records table, one index seek per collective (a loose
 * index scan over its `(collective, version)` index) rather than a scan of every row.
 */
function distinctCollectives(table: string): string {
  return `WITH RECURSIVE c(collective) AS (
    SELECT MIN(collective) FROM ${table}
    UNION ALL
    SELECT (SELECT MIN(collective) FROM ${table} WHERE collective > c.collective) FROM c WHERE c.collective IS NOT NULL
  ) SELECT collective FROM c WHERE collective IS NOT NULL`;
}
