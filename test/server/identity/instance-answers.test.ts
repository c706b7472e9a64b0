/**
 * The answers an instance record keeps (`src/server/instance-answers.ts`): what a
 * re-sent push is told again, how the memory is bounded, and the `answers` column that
 * SQL stores add to instance tables made before it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../../../src/clock/hlc.ts';
import type { PushRequest, RejectedChange, SyncChange } from '../../../src/protocol/types.ts';
import { MAX_KEPT_ANSWERS, MAX_KEPT_MESSAGE, rememberAnswers } from '../../../src/server/instance-answers.ts';
import { postgresServerStore } from '../../../src/server/postgres.ts';
import { sqliteServerStore } from '../../../src/server/sqlite.ts';
import type { InstanceRecord } from '../../../src/server/types.ts';
import { freshPostgresDatabase, postgresSkipReason } from '../../setup/postgres.ts';

const SOURCE = '0190f5e1-0000-7000-8000-00000000000a';
const OLD_RECORD: InstanceRecord = { instanceId: SOURCE, owner: 'me', keyId: null, seq: 2, recent: [[2, 'abc']] };
const OLD_INSTANCES = 'CREATE TABLE instances (instance_id text PRIMARY KEY, owner text, key_id text, seq bigint NOT NULL, recent text NOT NULL) WITHOUT ROWID';

function change(seq: number): SyncChange {
  return { collective: 'tags', id: `t${seq}`, op: 'put', value: seq, hlc: formatHlc({ wallMs: 1_700_000_000_000 + seq, counter: 0, node: 'aaaa' }), source: SOURCE, seq, baseVersion: null };
}

function pushOf(from: number, to: number): PushRequest {
  return { instanceId: SOURCE, policy: 'last-write-wins', changes: Array.from({ length: to - from + 1 }, (_, i) => change(from + i)) };
}

const forbidden = (seq: number, message = 'me may not write to collective "tags"'): RejectedChange => ({ seq, collective: 'tags', id: `t${seq}`, reason: 'FORBIDDEN', message });

describe('the answers an instance keeps', () => {
  it('keeps the refusals and conflicts of new changes, not those of changes applied before', () => {
    const kept = rememberAnswers(undefined, pushOf(1, 3), 0, [forbidden(1)], [{ seq: 2, collective: 'tags', id: 't2', policy: 'last-write-wins', server: null }]);
    expect(kept).toEqual([
      [1, 'FORBIDDEN', 'me may not write to collective "tags"', null],
      [2, null, null, 'last-write-wins'],
    ]);
    // Re-sent with one new change: the replayed refusal is not kept twice, the new one is added.
    expect(rememberAnswers(kept, pushOf(1, 4), 3, [forbidden(1), forbidden(4)], [])).toEqual([...kept, [4, 'FORBIDDEN', 'me may not write to collective "tags"', null]]);
  });

  it('drops what the replica has heard (the seqs below its push) and keeps at most the latest MAX_KEPT_ANSWERS, messages cut', () => {
    const kept = rememberAnswers(undefined, pushOf(1, 3), 0, [forbidden(1), forbidden(3, 'x'.repeat(1000))], []);
    expect(kept.map(([seq]) => seq)).toEqual([1, 3]);
    expect(kept[1]?.[2]).toHaveLength(MAX_KEPT_MESSAGE);
    expect(rememberAnswers(kept, pushOf(2, 4), 3, [], []).map(([seq]) => seq)).toEqual([3]);
    const many = Array.from({ length: MAX_KEPT_ANSWERS + 10 }, (_, i) => forbidden(i + 1));
    const bounded = rememberAnswers(undefined, pushOf(1, many.length), 0, many, []);
    expect(bounded).toHaveLength(MAX_KEPT_ANSWERS);
    expect(bounded[0]?.[0]).toBe(11);
  });
});

describe('the answers column of SQL stores made before it', () => {
  it('SQLite: added to an instances table made before it, every old instance with no answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsesync-answers-'));
    try {
      const path = join(dir, 'old.db');
      const old = new Database(path);
      old.exec(OLD_INSTANCES);
      old.prepare('INSERT INTO instances VALUES (?, ?, ?, ?, ?)').run(SOURCE, 'me', null, 2, '[[2,"abc"]]');
      old.close();
      const store = sqliteServerStore(path);
      expect(await store.getInstance(SOURCE)).toEqual(OLD_RECORD);
      const answered = { ...OLD_RECORD, answers: [[2, 'FORBIDDEN', 'no', null] as const] };
      await store.transaction((tx) => tx.putInstance(answered));
      await store.close();
      const again = sqliteServerStore(path);
      expect(await again.getInstance(SOURCE)).toEqual(answered);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(postgresSkipReason() !== undefined)('Postgres: added to an instances table made before it, every old instance with no answers', async () => {
    const url = await freshPostgresDatabase('answers');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(OLD_INSTANCES.replace('instances', 'pulsesync_instances').replace(' WITHOUT ROWID', ''));
    await client.query('INSERT INTO pulsesync_instances VALUES ($1, $2, $3, $4, $5)', [SOURCE, 'me', null, 2, '[[2,"abc"]]']);
    await client.end();
    const store = postgresServerStore(url);
    try {
      expect(await store.getInstance(SOURCE)).toEqual(OLD_RECORD);
      const answered = { ...OLD_RECORD, answers: [[2, 'FORBIDDEN', 'no', null] as const] };
      await store.transaction((tx) => tx.putInstance(answered));
      expect(await store.getInstance(SOURCE)).toEqual(answered);
    } finally {
      await store.close();
    }
  });
});
