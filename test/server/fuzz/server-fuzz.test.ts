/**
 * Property-based fuzzing of the server (issue 11, "Prove it", server side): fast-check
 * sends random requests and valid handshakes, pulls and pushes mutated (see
 * `fuzz-requests.ts`) through the fetch handler, on each store. Whatever arrives:
 * - a refusal is a known error code with a message, in the status of that code, never
 *   `INTERNAL` (a crash), and the store is exactly as before (rows, versions, applied seqs);
 * - a push answered 200 changes no record but those of the changes it did not refuse;
 * - a pull, handshake or health answer changes nothing.
 *
 * CI runs FUZZ_RUNS (default 150) runs per store from FUZZ_SEED (default below); both are
 * printed with the runs that went through. More by hand:
 *   FUZZ_RUNS=5000 npx vitest run test/server/fuzz
 * and a failure is replayed with the seed (and path) fast-check prints.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryServerStore } from '../../../src/server/stores/memory-server-store.ts';
import { isErrorCode } from '../../../src/protocol/errors.ts';
import { recordKey } from '../../../src/protocol/record-key.ts';
import { parsePushResponse } from '../../../src/protocol/validate.ts';
import { collectiveAccess, fullAccess, type Authenticate } from '../../../src/server/access.ts';
import { statusOf } from '../../../src/server/http/error-response.ts';
import { createFetchHandler } from '../../../src/server/http/fetch-handler.ts';
import { createSyncServer } from '../../../src/server/sync-server.ts';
import type { ServerRecord, ServerStore } from '../../../src/server/types.ts';
import { appliedSeqKey } from '../../../src/server/apply-push.ts';
import { storeKinds } from '../http/store-kinds.ts';
import { storeSnapshot } from '../http/wire-messages.ts';
import { fuzzRequest, INSTANCES, NOW, READER_TOKEN, toRequest, WRITER_TOKEN, type FuzzRequest } from './fuzz-requests.ts';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 150);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20_261_130);
/** Small limits, so that the fuzz meets them often. */
const LIMITS = { maxBodyBytes: 16 * 1024, maxPushChanges: 5, maxValueBytes: 256, maxPullBytes: 2 * 1024, maxJsonNodes: 5_000 };

const WRITER = fullAccess('writer');
const READER = collectiveAccess('reader', { read: ['notes', 'todos'], write: ['todos'] });
const authenticate: Authenticate = (request) => {
  const header = request.headers.get('authorization');
  if (header === `Bearer ${WRITER_TOKEN}`) return WRITER;
  if (header === `Bearer ${READER_TOKEN}`) return READER;
  return null;
};

/** Everything the store holds that a request could change: its rows and versions, and the applied seqs. */
async function snapshot(store: ServerStore): Promise<{ latestVersion: number; rows: readonly ServerRecord[]; applied: number[] }> {
  const keys = INSTANCES.flatMap((instance) => [appliedSeqKey(instance, WRITER), appliedSeqKey(instance, READER)]);
  const applied = await store.transaction(async (tx) => Promise.all(keys.map((key) => tx.getAppliedSeq(key))));
  return { ...(await storeSnapshot(store)), applied };
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;
const byKey = (snapshot: Snapshot): Map<string, ServerRecord> => new Map(snapshot.rows.map((row) => [recordKey(row.collective, row.id), row]));

/** The keys of the changes of a push body, if it has a list of them. */
function pushedKeys(body: string | undefined): { seq: unknown; key: string }[] {
  try {
    const parsed = JSON.parse(body ?? '') as { changes?: { seq?: unknown; collective?: unknown; id?: unknown }[] };
    return (parsed.changes ?? []).map((c) => ({ seq: c.seq, key: recordKey(String(c.collective), String(c.id)) }));
  } catch {
    return [];
  }
}

/** What one run saw, tallied for the report. */
type Outcome = 'refused' | 'push-partly-refused' | 'push-accepted' | 'read';

async function check(request: FuzzRequest, response: Response, before: Snapshot, after: () => Promise<Snapshot>): Promise<Outcome> {
  const type = response.headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream')) {
    await response.body?.cancel();
    expect(await after()).toEqual(before);
    return 'read';
  }
  const text = await response.text();
  if (response.status === 204 || request.method === 'HEAD') {
    expect(await after()).toEqual(before);
    return 'read';
  }
  const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
  if (response.status >= 400) {
    const code = body.error?.code;
    expect(isErrorCode(code), `a known code, got ${String(code)}`).toBe(true);
    expect(code).not.toBe('INTERNAL');
    expect(response.status).toBe(response.status === 405 ? 405 : statusOf(code as never));
    expect(typeof body.error?.message === 'string' && body.error.message.length > 0).toBe(true);
    expect(await after()).toEqual(before);
    return 'refused';
  }
  expect(response.status).toBe(200);
  if (request.path !== '/sync/push') {
    expect(await after()).toEqual(before);
    return 'read';
  }
  const answer = parsePushResponse(body);
  const refused = new Set(answer.rejected.map((r) => r.seq));
  const pushed = pushedKeys(request.body);
  const writable = new Set(pushed.filter((c) => !refused.has(c.seq as number)).map((c) => c.key));
  const now = byKey(await after());
  for (const [key, row] of byKey(before)) if (!writable.has(key)) expect(now.get(key), `record ${key}`).toEqual(row);
  for (const key of now.keys()) if (!writable.has(key)) expect(byKey(before).has(key), `record ${key} appeared`).toBe(true);
  return answer.rejected.length > 0 ? 'push-partly-refused' : 'push-accepted';
}

describe.each(storeKinds())('server fuzz ($kind store)', (kind) => {
  it(`answers ${RUNS} random and mutated requests by the rules, and a refused one changes nothing`, { timeout: 600_000 }, async () => {
    const opened = await kind.open('fuzz');
    const unexpected: unknown[] = [];
    const server = createSyncServer({ store: opened.store, authenticate, limits: LIMITS, now: () => NOW });
    const handler = createFetchHandler(server, { onError: (error) => unexpected.push(error) });
    const tally: Record<Outcome, number> = { refused: 0, 'push-partly-refused': 0, 'push-accepted': 0, read: 0 };
    let runs = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fuzzRequest, async (request) => {
          runs++;
          const before = await snapshot(server.store);
          const response = await handler(toRequest(request));
          tally[await check(request, response, before, () => snapshot(server.store))]++;
        }),
        { numRuns: RUNS, seed: SEED },
      );
    } finally {
      console.log(`server fuzz (${kind.kind}): ${runs} runs went through, seed ${SEED} (FUZZ_RUNS=${RUNS}): ${JSON.stringify(tally)}`);
      await server.close();
      opened.cleanup();
    }
    expect(unexpected).toEqual([]);
    // The fuzz reached every kind of answer, not only refusals.
    expect(tally['push-accepted']).toBeGreaterThan(0);
    expect(tally['push-partly-refused']).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  });
});

describe('the fuzz check itself', () => {
  const refusedPush: FuzzRequest = { method: 'POST', path: '/sync/push', auth: WRITER_TOKEN, contentType: 'application/json', body: '{}' };
  const answer = (status: number, body: unknown): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const sneaked = { collective: 'notes', id: 'sneaked', op: 'delete' as const, hlc: '001800000000000:000000:n', source: '0190f5e1-0000-7000-8000-0000000000a1' };

  it('fails a server that writes on a refused request', async () => {
    const store = memoryServerStore();
    const before = await snapshot(store);
    await store.transaction((tx) => tx.writeRecords([sneaked]));
    const response = answer(400, { error: { code: 'INVALID_PAYLOAD', message: 'refused' } });
    await expect(check(refusedPush, response, before, () => snapshot(store))).rejects.toThrow();
  });

  it('fails a server that moves an applied seq on a refused request', async () => {
    const store = memoryServerStore();
    const before = await snapshot(store);
    await store.transaction((tx) => tx.setAppliedSeq(appliedSeqKey(INSTANCES[0] as string, WRITER), 7));
    const response = answer(400, { error: { code: 'INVALID_PAYLOAD', message: 'refused' } });
    await expect(check(refusedPush, response, before, () => snapshot(store))).rejects.toThrow();
  });

  it('fails a server that crashes (INTERNAL) or answers a code in the wrong status', async () => {
    const store = memoryServerStore();
    const before = await snapshot(store);
    const after = () => snapshot(store);
    await expect(check(refusedPush, answer(500, { error: { code: 'INTERNAL', message: 'boom' } }), before, after)).rejects.toThrow();
    await expect(check(refusedPush, answer(500, { error: { code: 'INVALID_PAYLOAD', message: 'refused' } }), before, after)).rejects.toThrow();
  });

  it('fails a server that stores a change it answered as refused', async () => {
    const store = memoryServerStore();
    const before = await snapshot(store);
    await store.transaction((tx) => tx.writeRecords([sneaked]));
    const push: FuzzRequest = { ...refusedPush, body: JSON.stringify({ changes: [{ seq: 1, collective: 'notes', id: 'sneaked' }] }) };
    const response = answer(200, { accepted: 0, ackedSeq: 1, rejected: [{ seq: 1, collective: 'notes', id: 'sneaked', reason: 'INVALID', message: 'no' }], conflicts: [], newCursor: 1 });
    await expect(check(push, response, before, () => snapshot(store))).rejects.toThrow();
  });
});
