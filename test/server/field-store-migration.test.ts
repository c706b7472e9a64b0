/**
 * A database made before field-level records (no `fields` column) and the marks of
 * overruled writes (no `overruled` column) opens with this version: its rows read as
 * they were (written whole, no stamps, no marks), and field-level and marked rows can
 * then be written beside them. SQLite and Postgres, each from the schema they had.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import { SEVERAL_WRITERS } from '../../src/protocol/field-merge.ts';
import { postgresServerStore } from '../../src/server/postgres.ts';
import { sqliteServerStore } from '../../src/server/sqlite.ts';
import type { ServerRecordWrite, ServerStore } from '../../src/server/types.ts';
import { readAll, SOURCE_A, write } from '../../src/testing/server-store-fixture.ts';
import { freshPostgresDatabase, postgresSkipReason } from '../setup/postgres.ts';

const HLC = formatHlc({ wallMs: 1_700_000_000_000, counter: 0, node: SOURCE_A });

/** The records table as 0.1 made it, before the `fields` column. */
const OLD_RECORDS = (table: string, options: string) => `CREATE TABLE ${table} (
  collective text NOT NULL, id text NOT NULL, op text NOT NULL, value text, hlc text NOT NULL,
  source text NOT NULL, version bigint NOT NULL UNIQUE, PRIMARY KEY (collective, id)
)${options}`;

const FIELD_ROW: ServerRecordWrite = {
  collective: 'notes',
  id: 'f',
  op: 'put',
  value: { title: 't' },
  hlc: HLC,
  source: SEVERAL_WRITERS,
  fields: [{ path: ['title'], hlc: HLC, source: SOURCE_A }],
};

/** A whole-record row that overruled a write unseen (`overruled-writes.ts`). */
const MARKED_ROW: ServerRecordWrite = { collective: 'notes', id: 'm', op: 'put', value: 1, hlc: HLC, source: SOURCE_A, over: [{ hlc: HLC, source: SEVERAL_WRITERS }] };

/** Reads the old row, writes a field-level one and a marked one beside it, and reads them back. */
async function readOldThenWriteFields(store: ServerStore): Promise<void> {
  expect(await readAll(store)).toEqual([{ collective: 'notes', id: 'old', op: 'put', value: { n: 1 }, hlc: HLC, source: SOURCE_A, version: 1 }]);
  await write(store, FIELD_ROW, MARKED_ROW);
  const rows = await readAll(store);
  expect(rows.slice(1)).toEqual([
    { ...FIELD_ROW, version: 2 },
    { ...MARKED_ROW, version: 3 },
  ]);
}

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('opening a database made before field-level records', () => {
  it('SQLite: adds the column, reads old rows as whole, keeps new stamps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsesync-migrate-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.exec(`${OLD_RECORDS('records', ' WITHOUT ROWID')};`);
    old.prepare('INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)').run('notes', 'old', 'put', '{"n":1}', HLC, SOURCE_A, 1);
    old.close();
    const store = sqliteServerStore(path);
    closers.push(() => store.close());
    await readOldThenWriteFields(store);
    // Opening again finds the column there and leaves it.
    await store.close();
    const again = sqliteServerStore(path);
    closers.push(() => again.close());
    expect((await readAll(again))[1]?.fields).toEqual(FIELD_ROW.fields);
  });

  it.skipIf(postgresSkipReason() !== undefined)('Postgres: adds the column, reads old rows as whole, keeps new stamps', async () => {
    const url = await freshPostgresDatabase('migrate');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(OLD_RECORDS('pulsesync_records', ''));
    await client.query('INSERT INTO pulsesync_records VALUES ($1, $2, $3, $4, $5, $6, $7)', ['notes', 'old', 'put', '{"n":1}', HLC, SOURCE_A, 1]);
    await client.end();
    const store = postgresServerStore(url);
    closers.push(() => store.close());
    await readOldThenWriteFields(store);
  });
});
