/**
 * Answers are bounded in bytes, whatever the values (issue 11, finding 2): 600 values of
 * just under 1 MiB made one pull with batch 500 build 524 MB of JSON, and batch 2000
 * failed with `RangeError: Invalid string length`. A pull page stops before it passes
 * `limits.maxPullBytes` and always carries one change; a push answer stops dealing with
 * changes before its conflicts' records pass it. On every store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PullResponse, PushResponse, SyncChange } from '../../../src/protocol/types.ts';
import { createFetchHandler } from '../../../src/server/http/fetch-handler.ts';
import type { ServerLimits } from '../../../src/server/limits.ts';
import { feedRowBytes, utf8Bytes } from '../../../src/server/stores/change-page.ts';
import { memoryServerStore } from '../../../src/server/stores/memory-server-store.ts';
import { createSyncServer, type SyncServer } from '../../../src/server/sync-server.ts';
import type { ServerRecord } from '../../../src/server/types.ts';
import { newInstanceId, pushBody, putChange, storeSnapshot } from './wire-messages.ts';
import { storeKinds, type OpenedStore } from './store-kinds.ts';

const KIB = 1024;

/** A handler over `server` and a way to post JSON to it, answering the status and the raw text. */
function client(server: SyncServer) {
  const handler = createFetchHandler(server, { onError: () => undefined });
  return async (route: string, body: unknown): Promise<{ status: number; text: string }> => {
    const response = await handler(new Request(`http://sync.test/sync/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
    return { status: response.status, text: await response.text() };
  };
}

/** Pulls from cursor 0 until done; returns every page's text length and change ids. */
async function drain(post: ReturnType<typeof client>, batchSize: number): Promise<{ bytes: number[]; pages: string[][] }> {
  const puller = newInstanceId();
  const bytes: number[] = [];
  const pages: string[][] = [];
  let cursor = 0;
  for (let i = 0; i < 1000; i++) {
    const { status, text } = await post('pull', { instanceId: puller, cursor, batchSize });
    expect(status).toBe(200);
    const page = JSON.parse(text) as PullResponse;
    bytes.push(utf8Bytes(text));
    pages.push(page.changes.map((change) => change.id));
    cursor = page.newCursor;
    if (!page.hasMore) return { bytes, pages };
  }
  throw new Error('too many pages');
}

const bytesOf = (row: ServerRecord): number => feedRowBytes(row, row.value === undefined ? 0 : utf8Bytes(JSON.stringify(row.value)));

describe.each(storeKinds())('answers are bounded in bytes ($kind store)', (kind) => {
  const limits: Partial<ServerLimits> = { maxPullBytes: 64 * KIB, maxValueBytes: 32 * KIB };
  let opened: OpenedStore;
  let server: SyncServer;
  let post: ReturnType<typeof client>;
  const writer = newInstanceId();
  const big = (i: number): string => `${i}:`.padEnd(20 * KIB, 'x');

  beforeAll(async () => {
    opened = await kind.open('answer-bytes');
    server = createSyncServer({ store: opened.store, limits });
    post = client(server);
    const changes = Array.from({ length: 40 }, (_, i) => putChange(writer, i + 1, `v${String(i).padStart(2, '0')}`, big(i)));
    expect((await post('push', pushBody(writer, changes))).status).toBe(200);
  });

  afterAll(async () => {
    await server?.close();
    opened?.cleanup();
  });

  it('a pull with batch 500 over 40 values of 20 KiB answers pages of at most maxPullBytes, and pages through every value once', async () => {
    const { bytes, pages } = await drain(post, 500);
    expect(Math.max(...bytes)).toBeLessThanOrEqual(64 * KIB);
    expect(pages.length).toBeGreaterThan(10);
    expect(pages.slice(0, -1).every((ids) => ids.length >= 1)).toBe(true);
    expect(pages.flat()).toEqual(Array.from({ length: 40 }, (_, i) => `v${String(i).padStart(2, '0')}`));
  });

  it('the store reads a page up to its byte cap, by the one measure of change-page.ts, at least one row', async () => {
    const [r0, r1, r2] = (await storeSnapshot(server.store)).rows as ServerRecord[];
    const both = bytesOf(r0 as ServerRecord) + bytesOf(r1 as ServerRecord);
    const page = (maxBytes: number, limit = 100) => server.store.readChanges({ after: 0, limit, maxBytes, withTotal: true });
    expect(await page(both)).toMatchObject({ rows: [r0, r1], hasMore: true, newCursor: (r1 as ServerRecord).version, total: 40 });
    expect(await page(both - 1)).toMatchObject({ rows: [r0], hasMore: true, newCursor: (r0 as ServerRecord).version, total: 40 });
    expect(await page(0)).toMatchObject({ rows: [r0], hasMore: true });
    expect(await page(both + bytesOf(r2 as ServerRecord), 2)).toMatchObject({ rows: [r0, r1], hasMore: true });
    const last = (await storeSnapshot(server.store)).rows.at(-1) as ServerRecord;
    expect(await server.store.readChanges({ after: last.version - 1, limit: 100, maxBytes: 0 })).toMatchObject({ rows: [last], hasMore: false });
  });

  it('a value larger than the cap comes alone on its page, and the feed goes on after it', async () => {
    const tight = createSyncServer({ store: server.store, limits: { maxPullBytes: 16 * KIB, maxValueBytes: 32 * KIB } });
    const { bytes, pages } = await drain(client(tight), 500);
    expect(pages.every((ids) => ids.length === 1)).toBe(true);
    expect(pages).toHaveLength(40);
    expect(Math.max(...bytes)).toBeLessThan(21 * KIB);
  });

  it('a push meeting 10 newer records of 20 KiB answers conflicts up to maxPullBytes, acknowledges that far, and the rest on the next pushes', async () => {
    const before = await storeSnapshot(server.store);
    const other = newInstanceId();
    // server-wins, based on version 0: every change is stale and gets the server's record.
    const changes: SyncChange[] = Array.from({ length: 10 }, (_, i) => ({ ...putChange(other, i + 1, `v${String(i).padStart(2, '0')}`, 'stale'), baseVersion: 0 }));
    const conflicted: number[] = [];
    let acked = 0;
    for (let round = 0; round < 20 && acked < 10; round++) {
      const { status, text } = await post('push', { instanceId: other, policy: 'server-wins', changes: changes.filter((change) => change.seq > acked) });
      expect(status).toBe(200);
      expect(utf8Bytes(text)).toBeLessThanOrEqual(64 * KIB + 4 * KIB);
      const answer = JSON.parse(text) as PushResponse;
      expect(answer.accepted).toBe(0);
      expect(answer.ackedSeq).toBeGreaterThan(acked);
      expect(answer.rejected.map((r) => r.seq)).toEqual(answer.conflicts.map((c) => c.seq));
      conflicted.push(...answer.conflicts.map((c) => c.seq));
      expect(Math.max(...answer.conflicts.map((c) => c.seq))).toBe(answer.ackedSeq);
      acked = answer.ackedSeq;
    }
    expect(conflicted).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await storeSnapshot(server.store)).toEqual(before);
  });
});

describe('with the default limits', () => {
  it('a pull with batch 2000 over 40 values of 1 MB answers at most 4 MiB (it built the whole feed, up to RangeError, before)', async () => {
    const server = createSyncServer({ store: memoryServerStore() });
    const writer = newInstanceId();
    const value = 'y'.repeat(1_000_000);
    await server.store.transaction((tx) =>
      tx.writeRecords(Array.from({ length: 40 }, (_, i) => ({ collective: 'notes', id: `m${i}`, op: 'put' as const, value, hlc: putChange(writer, i + 1, 'x', 0).hlc, source: writer }))),
    );
    const { status, text } = await client(server)('pull', { instanceId: newInstanceId(), cursor: 0, batchSize: 2000 });
    expect(status).toBe(200);
    expect(utf8Bytes(text)).toBeLessThanOrEqual(server.limits.maxPullBytes);
    const page = JSON.parse(text) as PullResponse;
    expect(page).toMatchObject({ hasMore: true });
    expect(page.changes.length).toBe(4);
    await server.close();
  });
});
