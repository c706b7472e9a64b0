/**
 * What only Postgres has: several server processes over one database. Pokes cross
 * between them, survive a dropped LISTEN connection, and a batch re-sent to two
 * processes at once is applied once.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import type { SyncChange } from '../../src/protocol/types.ts';
import { postgresServerStore, type PostgresServerStore } from '../../src/server/postgres.ts';
import { inlineStatement } from '../../src/server/stores/postgres/inline-statement.ts';
import { createSyncServer, type SyncServer } from '../../src/server/sync-server.ts';
import type { ServerStoreTransaction } from '../../src/server/types.ts';
import { globalTimers, type ServerTimers } from '../../src/server/timers.ts';
import { freshPostgresDatabase, postgresSkipReason } from '../setup/postgres.ts';
import { readAll, SOURCE_A, SOURCE_B } from '../../src/testing/server-store-fixture.ts';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((thing) => thing.close()));
});

function open(url: string, timers?: ServerTimers): PostgresServerStore {
  const store = postgresServerStore(timers === undefined ? url : { connectionString: url, timers });
  opened.push(store);
  return store;
}

/** Waits (bounded) until `condition` holds. */
async function eventually(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never happened: ${what}`);
}

/** Runs `sql` on its own connection (as an operator or a failing network would). */
async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

let wall = 1_700_000_000_000;
function change(source: string, seq: number, id: string): SyncChange {
  return { seq, source, collective: 'notes', id, op: 'put', value: { seq }, hlc: formatHlc({ wallMs: ++wall, counter: 0, node: source }), baseVersion: null };
}

describe.skipIf(postgresSkipReason() !== undefined)('postgres server store across processes', () => {
  it('applies a push alone in two round trips: begin with the lock, the latest version and its reads; its writes with commit', async () => {
    const url = await freshPostgresDatabase('round-trips');
    let queries: string[] = [];
    /** Counts the statements sent on the store's pooled connections. */
    class CountingClient extends pg.Client {
      constructor(config?: pg.ClientConfig) {
        super(config);
        const query = this.query.bind(this) as (...args: unknown[]) => unknown;
        Object.assign(this, {
          query: (...args: unknown[]) => {
            queries.push(typeof args[0] === 'string' ? args[0] : 'query');
            return query(...args);
          },
        });
      }
    }
    const store = postgresServerStore({ connectionString: url, Client: CountingClient });
    opened.push(store);
    const server = createSyncServer({ store });
    await server.handlePush({ instanceId: SOURCE_A, policy: 'last-write-wins', changes: [change(SOURCE_A, 1, 'warm')] }); // creates the tables
    queries = [];
    const answer = await server.handlePush({ instanceId: SOURCE_B, policy: 'last-write-wins', changes: [change(SOURCE_B, 1, 'x'), change(SOURCE_B, 2, 'y')] });
    expect(answer).toMatchObject({ accepted: 2, ackedSeq: 2 });
    expect(queries).toHaveLength(2);
    expect(queries[0]).toMatch(/^BEGIN/);
    expect(queries[1]).toMatch(/; COMMIT$/);
    expect((await readAll(store)).map((row) => row.id)).toEqual(['warm', 'x', 'y']);
  });

  it('writes parameters into a statement so that Postgres reads back every text as it was, whatever it holds', async () => {
    const url = await freshPostgresDatabase('inline');
    const texts = [
      "it's",
      'back\\slash \\\' and \\n',
      '$p0$ ends a quote $p1$',
      '$$ and $1 and $tag$',
      'E\'\\x41\'',
      '"); DROP TABLE pulsesync_records; --',
      'é 漢字 🎉',
      '',
    ];
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ t: string | null; n: string }>(
        `BEGIN; ${inlineStatement('SELECT t, n FROM unnest($1::text[], $2::bigint[]) AS u(t, n) WHERE $3::text IS NULL OR true', [[...texts, null], texts.map((_, i) => i).concat(2 ** 53 - 1), null])}`,
      ).then((results) => (results as unknown as pg.QueryResult<{ t: string | null; n: string }>[])[1] as pg.QueryResult<{ t: string | null; n: string }>);
      expect(rows.map((row) => row.t)).toEqual([...texts, null]);
      expect(rows.map((row) => Number(row.n))).toEqual([...texts.map((_, i) => i), 2 ** 53 - 1]);
      await client.query('ROLLBACK');
      // Texts on their own, ending in the start of a tag (an id may end in `$p0`).
      const ends = ['id$p0', 'id$p', 'id$', '$p0'];
      const own = await client.query<{ a: string; b: string; c: string; d: string }>(inlineStatement('SELECT $1::text AS a, $2::text AS b, $3::text AS c, $4::text AS d', ends));
      expect(Object.values(own.rows[0] ?? {})).toEqual(ends);
    } finally {
      await client.end();
    }
    expect(() => inlineStatement('SELECT $1::bigint', [1.5])).toThrow(/whole number/);
  });

  it("pokes a server's live listeners when another server commits", async () => {
    const url = await freshPostgresDatabase('pokes');
    const one = createSyncServer({ store: open(url) });
    const two = createSyncServer({ store: open(url) });
    let pokes = 0;
    two.onChanges(() => pokes++);
    await (two.store as PostgresServerStore).listening();
    await one.handlePush({ instanceId: SOURCE_A, policy: 'last-write-wins', changes: [change(SOURCE_A, 1, 'x')] });
    await eventually(() => pokes > 0, 'a poke on the other server');
    const pulled = await two.handlePull({ instanceId: SOURCE_B, cursor: 0, batchSize: 10 });
    expect(pulled.changes.map((c) => c.id)).toEqual(['x']);
  });

  it('listens again after its LISTEN connection drops, waiting on its injected timers, and pokes once for what it may have missed', async () => {
    const url = await freshPostgresDatabase('relisten');
    const waits: number[] = [];
    const timers: ServerTimers = {
      ...globalTimers,
      setTimeout: (callback, ms) => {
        waits.push(ms);
        return globalTimers.setTimeout(callback, 0);
      },
    };
    const writer = open(url);
    const listener = open(url, timers);
    let pokes = 0;
    listener.onCommit(() => pokes++);
    await listener.listening();
    await admin(url, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`);
    await eventually(() => pokes >= 1, 'the catch-up poke after reconnecting');
    expect(waits[0]).toBe(100); // the first backoff step, asked of the injected timers
    await listener.listening();
    const before = pokes;
    await writer.transaction((tx) => tx.writeRecords([{ collective: 'notes', id: 'y', op: 'delete', hlc: change(SOURCE_A, 1, 'y').hlc, source: SOURCE_A }]));
    await eventually(() => pokes > before, 'a poke after reconnecting');
  });

  it('keeps working when its pooled connections are killed', async () => {
    const url = await freshPostgresDatabase('killed');
    const store = open(url);
    await store.transaction((tx) => tx.setAppliedSeq(SOURCE_A, 1));
    await admin(url, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
    // The first call may meet a dead connection; the store must recover by the next.
    await store.latestVersion().catch(() => undefined);
    await eventually(async () => (await store.transaction((tx) => tx.getAppliedSeq(SOURCE_A)).catch(() => -1)) === 1, 'a working store');
  });

  it('refuses a change Postgres cannot store without failing the rest of the push, and ignores such names in a pull', async () => {
    const server = createSyncServer({ store: open(await freshPostgresDatabase('nul')) });
    const response = await server.handlePush({ instanceId: SOURCE_A, policy: 'last-write-wins', changes: [change(SOURCE_A, 1, 'bad\u0000'), change(SOURCE_A, 2, 'good')] });
    expect(response).toMatchObject({ accepted: 1, ackedSeq: 2, rejected: [{ seq: 1, reason: 'INVALID' }] });
    const pulled = await server.handlePull({ instanceId: SOURCE_B, cursor: 0, batchSize: 10, collectives: ['notes', 'no\u0000tes', 'no\uD800tes'] });
    expect(pulled.changes.map((c) => c.id)).toEqual(['good']);
  });

  it('applies a batch re-sent to two servers at the same moment once', async () => {
    const url = await freshPostgresDatabase('resend');
    const servers = [createSyncServer({ store: open(url) }), createSyncServer({ store: open(url) })];
    const batch = { instanceId: SOURCE_A, policy: 'last-write-wins' as const, changes: [change(SOURCE_A, 1, 'a'), change(SOURCE_A, 2, 'b')] };
    const responses = await Promise.all(servers.map((server) => server.handlePush(batch)));
    expect(responses.map((r) => r.accepted).sort()).toEqual([0, 2]);
    expect(responses.map((r) => r.ackedSeq)).toEqual([2, 2]);
    expect(await servers[0]?.store.latestVersion()).toBe(2);
  });

  it('applies pushes grouped in two processes at once with gap-free versions, each answered', async () => {
    const url = await freshPostgresDatabase('groups');
    const servers = [createSyncServer({ store: open(url) }), createSyncServer({ store: open(url) })];
    const sources = Array.from({ length: 40 }, () => randomUUID());
    const answers = await Promise.all(
      sources.map((source, i) => (servers[i % 2] as SyncServer).handlePush({ instanceId: source, policy: 'last-write-wins', changes: [1, 2, 3, 4, 5].map((seq) => change(source, seq, `${i}-${seq}`)) })),
    );
    expect(answers.map((answer) => [answer.accepted, answer.ackedSeq])).toEqual(sources.map(() => [5, 5]));
    const rows = await readAll(servers[0]?.store as PostgresServerStore);
    expect(rows.map((row) => row.version)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('sends the rows of a large transaction past 4 MiB at once, and still commits or rolls them back with the rest', async () => {
    const store = open(await freshPostgresDatabase('large'));
    const big = (id: string) => ({ collective: 'notes', id, op: 'put' as const, value: 'x'.repeat(1024 * 1024), hlc: change(SOURCE_A, 1, id).hlc, source: SOURCE_A });
    const writeAll = async (tx: ServerStoreTransaction) => {
      for (const id of ['a', 'b', 'c', 'd', 'e']) await tx.writeRecords([big(id)]);
      await tx.writeRecords([{ ...big('f'), value: 'small' }]);
      await tx.setAppliedSeq(SOURCE_A, 6);
      // Read back from the database (a), and from what is still held (f).
      const seen = await tx.getRecords([{ collective: 'notes', id: 'a' }, { collective: 'notes', id: 'f' }]);
      expect([...seen.values()].map((row) => [row.id, row.version])).toEqual([
        ['a', 1],
        ['f', 6],
      ]);
    };
    await expect(
      store.transaction(async (tx) => {
        await writeAll(tx);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await store.latestVersion()).toBe(0);
    expect(await store.transaction((tx) => tx.getAppliedSeq(SOURCE_A))).toBe(0);
    await store.transaction(writeAll);
    expect((await readAll(store)).map((row) => [row.id, row.version])).toEqual(['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) => [id, i + 1]));
    expect(await store.transaction((tx) => tx.getAppliedSeq(SOURCE_A))).toBe(6);
  });
});
