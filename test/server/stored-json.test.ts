/**
 * A pull over HTTP serves a SQL store's values as the JSON text it keeps, spliced into
 * the answer (src/server/stored-json.ts): the answer is the very text `JSON.stringify`
 * writes of the same answer, byte for byte, so the feed's byte cap still counts it; and
 * a stored value read in the process is the value that was pushed.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatHlc } from '../../src/clock/hlc.ts';
import type { JsonValue, SyncChange } from '../../src/protocol/types.ts';
import { sqliteServerStore } from '../../src/server/stores/sqlite/sqlite-server-store.ts';
import { pullAnswerJson, StoredPut } from '../../src/server/stored-json.ts';
import { createSyncServer, type SyncServer } from '../../src/server/sync-server.ts';

const VALUES: JsonValue[] = [
  { title: 'plain', n: 1, done: false, tags: ['a', 'b'], nested: { deep: [1, 2.5, -3e-7, null] } },
  { text: 'quotes " and \\ backslash, tab\t, newline\n, NUL-escaped \u0000, é, 漢字, emoji 🎉' },
  { __proto__: 'an own key named __proto__', big: 1e21, small: 5e-324, negative: -0 } as unknown as JsonValue,
  'a bare string',
  42,
  null,
  [],
];

let dir: string | undefined;
let server: SyncServer | undefined;
afterEach(async () => {
  await server?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

describe('pull answers with stored JSON spliced in (SQLite)', () => {
  it('are byte for byte what JSON.stringify writes of the same answer, values read back as pushed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulsesync-stored-json-'));
    server = createSyncServer({ store: sqliteServerStore(join(dir, 'values.db')) });
    const source = randomUUID();
    const changes: SyncChange[] = VALUES.map((value, i) => ({
      seq: i + 1,
      source,
      collective: 'notes',
      id: i === 1 ? 'n1 with "quotes", \\ and é' : `n${i}`, // ids quoted the long way too
      op: 'put',
      value,
      hlc: formatHlc({ wallMs: 1_700_000_000_000 + i, counter: 0, node: source }),
      baseVersion: null,
    }));
    changes.push({ seq: changes.length + 1, source, collective: 'notes', id: 'gone', op: 'delete', hlc: formatHlc({ wallMs: 1_700_000_001_000, counter: 0, node: source }), baseVersion: null });
    await server.handlePush({ instanceId: source, policy: 'last-write-wins', changes });

    const answer = await server.handlePull({ instanceId: randomUUID(), cursor: 0, batchSize: 100, withTotal: true });
    expect(answer.changes.filter((change) => change.op === 'put' && StoredPut.textOf(change) !== undefined)).toHaveLength(VALUES.length);
    expect(pullAnswerJson(answer)).toBe(JSON.stringify(answer));
    expect(JSON.parse(pullAnswerJson(answer))).toEqual(JSON.parse(JSON.stringify({ ...answer, changes: changes.map(({ seq, baseVersion: _, ...rest }) => ({ ...rest, version: seq })) })));
    expect(answer.changes.map((change) => (change.op === 'put' ? change.value : 'deleted'))).toEqual([...JSON.parse(JSON.stringify(VALUES)), 'deleted']);
    expect(structuredClone(answer)).toEqual(answer);
  });
});
