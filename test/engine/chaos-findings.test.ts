/**
 * What the widened chaos scenario found, each as the smallest run that shows it. A test
 * marked `it.fails` is a bug still open: it proves the behaviour we want and fails
 * today; once the bug is fixed it passes, vitest reports the `it.fails` as failing, and
 * the mark comes off. The chaos checks allow for none of them: a seed that meets an
 * open one fails, and is named here.
 */
import { describe, expect, it } from 'vitest';
import { readPushOutcome, type WriteReceipt } from '../../src/engine/acks.ts';
import type { ConflictInfo, ConflictResolution, ResetEvent } from '../../src/engine/types.ts';
import type { SyncErrorData } from '../../src/protocol/errors.ts';
import type { SyncChange } from '../../src/protocol/types.ts';
import { collectiveAccess, fullAccess } from '../../src/server/access.ts';
import { createSyncServer } from '../../src/server/sync-server.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import type { LocalStore, LocalWrite } from '../../src/store/types.ts';
import { chaosTransport } from '../../src/testing/chaos-transport.ts';
import { holdAnswers } from './chaos-race.ts';
import { emptyTotals, runResetScenario } from './chaos-reset-scenario.ts';
import { connect, memoryTransport, newReplica, newServer } from './fixtures.ts';
import { device, FIELDS } from './field-devices.ts';

async function write(replica: LocalStore, writes: readonly LocalWrite[]): Promise<WriteReceipt> {
  const logged = await replica.write(writes);
  return { instanceId: replica.instanceId, firstSeq: (logged[0] as SyncChange).seq, seq: (logged.at(-1) as SyncChange).seq };
}

const put = (collective: string, id: string, value: string): LocalWrite => ({ op: 'put', collective, id, value });

/** A transport to `server` whose first push's answer is lost after the server dealt with it. */
function firstPushAnswerLost(server: ReturnType<typeof createSyncServer>, access?: ReturnType<typeof fullAccess>) {
  const chaos = chaosTransport(memoryTransport(server, access === undefined ? {} : { access }), { seed: 1, dropResponseRate: 1, operations: ['push'] });
  return {
    chaos,
    afterFirstPush: () => chaos.setFaults(false),
  };
}

describe('chaos findings', () => {
  // Fixed: the server kept, per instance, only the highest seq it applied. A push whose
  // answer was lost was sent again and acknowledged as applied before, with no word of
  // the refusals and conflicts the first answer carried; the replica then read the
  // refused write as accepted. Now the server keeps its answers per instance
  // (`src/server/instance-answers.ts`) and tells a re-sent change them again.
  it('a FORBIDDEN refusal still reaches the receipt when the push’s answer was lost', async () => {
    const server = createSyncServer({ store: memoryServerStore() });
    const access = collectiveAccess('me', { read: ['notes', 'tags'], write: ['notes'] });
    const { chaos, afterFirstPush } = firstPushAnswerLost(server, access);
    const { replica } = await newReplica();
    const receipt = await write(replica, [put('tags', 't', 'mine')]);
    const errors: SyncErrorData[] = [];
    const manager = connect(replica, chaos);
    manager.on('error', (error) => errors.push(error));
    await expect(manager.syncOnce()).rejects.toThrow(/response lost/);
    afterFirstPush();
    await manager.syncOnce();
    expect(await readPushOutcome(replica, receipt)).toMatchObject({ status: 'refused', refusals: [{ reason: 'FORBIDDEN' }] });
    expect(errors.filter((error) => error.code === 'FORBIDDEN')).toHaveLength(1);
  });

  // Fixed, the same gap under server-wins: the stale change's refusal and its conflict
  // were lost with the answer, so the receipt read accepted, no conflict event fired and
  // a resolver was never asked (its merge never happened).
  it('a stale server-wins change still gets its conflict when the push’s answer was lost', async () => {
    const server = createSyncServer({ store: memoryServerStore() });
    const other = await newReplica();
    await other.replica.put('notes', 'n', 'theirs');
    await connect(other.replica, memoryTransport(server)).syncOnce();
    const { chaos, afterFirstPush } = firstPushAnswerLost(server);
    const { replica } = await newReplica();
    const receipt = await write(replica, [put('notes', 'n', 'mine')]);
    const conflicts: ConflictInfo[] = [];
    const manager = connect(replica, chaos, { conflictResolution: 'server-wins', direction: 'push-only' });
    manager.on('conflict', (conflict) => conflicts.push(conflict));
    await expect(manager.syncOnce()).rejects.toThrow(/response lost/);
    afterFirstPush();
    await manager.syncOnce();
    expect(conflicts.map((c) => c.outcome)).toEqual(['remote']);
    expect(await readPushOutcome(replica, receipt)).toMatchObject({ status: 'refused', refusals: [{ reason: 'CONFLICT' }] });
  });

  // Fixed: before its first push a replica has no key bound on the server. Two tabs of it
  // that shook hands at once were each issued a key of their own; both saved theirs, the
  // first push bound the id to one, and the other tab's next request was refused
  // INSTANCE_FORBIDDEN: the replica gave up its id and started a fresh identity. Now a tab
  // keeps its key only if none was kept since its handshake, and else adopts the kept one.
  it('two tabs of one replica shaking hands at once both sync under its id', async () => {
    const server = createSyncServer({ store: memoryServerStore() });
    const transport = memoryTransport(server, { access: fullAccess('me') });
    const { replica, reopen } = await newReplica();
    const tab = await reopen();
    const id = replica.instanceId;
    await replica.put('notes', 'a', 'one');
    const errors: SyncErrorData[] = [];
    const managers = [connect(replica, transport), connect(tab, transport)];
    for (const manager of managers) manager.on('error', (error) => errors.push(error));
    await Promise.all(managers.map((manager) => manager.syncOnce()));
    await tab.put('notes', 'b', 'two');
    await managers[1]?.syncOnce();
    await replica.put('notes', 'c', 'three');
    await managers[0]?.syncOnce();
    expect(errors.map((error) => error.code)).toEqual([]);
    expect((await replica.identity()).instanceId).toBe(id);
  });

  // Fixed (seed 7885 of the chaos run): after the key race a replica took a fresh
  // identity, its log renumbered from 1, while a tab's push under the retired id was in
  // flight; that push's answer then trimmed the renumbered log, and writes of the new id
  // were dropped unsent. Now an acknowledgement names the id it answers, and the replica
  // trims nothing for an id it no longer holds.
  it('an answer to a push under a retired id leaves the renewed log alone', async () => {
    const server = createSyncServer({ store: memoryServerStore() });
    const plain = memoryTransport(server);
    const held = holdAnswers(plain, 'push');
    const { replica, reopen } = await newReplica();
    const retired = replica.instanceId;
    await replica.put('notes', 'a', 'one');
    await replica.put('notes', 'b', 'two');
    const tab = await reopen();
    const syncing = connect(replica, held.transport, { direction: 'push-only' }).syncOnce().catch(() => undefined);
    await held.served;
    const renewed = await tab.startNewIdentity(retired);
    held.release();
    await syncing;
    expect((await tab.pendingChanges(10)).map((c) => [c.id, c.seq, c.source])).toEqual([
      ['a', 1, renewed],
      ['b', 2, renewed],
    ]);
    await connect(tab, plain).syncOnce();
    expect(await tab.pendingCount()).toBe(0);
    const rows = (await server.store.readChanges({ after: 0, limit: 10 })).rows;
    expect(rows.map((row) => [row.id, row.value, row.source])).toEqual([
      ['a', 'one', renewed],
      ['b', 'two', renewed],
    ]);
  });

  // Seeds 1645 and 3919 of the server-wins chaos run (2 seeds in 4,000, both with users
  // and a resolver), and seed 3601 of last-write-wins over HTTP with a resolver: a pull
  // answer that left the server before this replica's resolution of a conflict was
  // pushed was applied after that push was acknowledged. The acknowledgement had taken
  // the resolution's log entry, so nothing said the answer was older, and the server
  // never sends the replica its own write back. A batch is now refused (and pulled
  // again) when a push was acknowledged since it was asked (`CursorAdvance.acked`).
  it('a pull answer older than a pushed resolution does not overwrite it', async () => {
    const server = createSyncServer({ store: memoryServerStore() });
    const plain = memoryTransport(server);
    const other = await newReplica();
    await other.replica.put('notes', 'n', 'theirs');
    await connect(other.replica, plain).syncOnce();
    const { replica, reopen } = await newReplica();
    await replica.put('notes', 'n', 'mine');
    const slowPull = holdAnswers(plain, 'pull');
    // One tab pulls, its answer (the record at v1, 'theirs') held on the way back...
    const pulling = connect(await reopen(), slowPull.transport, { conflictResolution: 'server-wins', direction: 'pull-only' }).syncOnce();
    await slowPull.served;
    // ...while the other pushes: refused CONFLICT, the resolver keeps 'mine' (a write
    // based on v1), which is pushed and accepted.
    const config = { conflictResolution: 'server-wins', direction: 'push-only', resolver: (): ConflictResolution => 'local' } as const;
    await connect(replica, plain, config).syncOnce();
    await connect(replica, plain, config).syncOnce();
    expect(await replica.pendingCount()).toBe(0);
    slowPull.release();
    await pulling;
    await connect(replica, plain, { conflictResolution: 'server-wins' }).syncOnce();
    const row = (await server.store.readChanges({ after: 0, limit: 10 })).rows.find((r) => r.id === 'n');
    expect(row?.value).toBe('mine');
    expect((await replica.get('notes', 'n'))?.value).toBe('mine');
  });

  // Open, the known gap of `client-reset.test.ts` ("a write a pull gave up for a tombstone
  // that gc then removed"), now met by the reset chaos since its push and pull race: in
  // 2,000 seeds, 184, 232, 596, 741, 895, 996, 1120 and 1240 (each replays exactly with
  // `CHAOS_SEED=184 npx vitest run test/engine/chaos-reset.test.ts`; 741 and 895
  // last-write-wins, the others server-wins). In each, a race's push side fails (its
  // handshake or push lost), so its pull runs alone: it takes the server's tombstone over
  // the replica's pending put (server-wins: the server would refuse the put as stale;
  // last-write-wins: the delete is later). A sweep then removes the tombstone; the next
  // push finds no record, the server takes the put, and the replica, which gave it up,
  // never sees it again (its own row, hidden from its feed as its echo). The fix is not in
  // test code nor small: the server would have to refuse a put based on a version older
  // than its sweeps, or the pull drop the write it gives up from the outbox (and settle
  // its receipt).
  for (const seed of [184, 232, 596, 741, 895, 996, 1120, 1240]) {
    it.fails(`reset chaos seed ${seed}: a write a racing pull gave up for a tombstone that gc then removed is not lost on the replica`, async () => {
      expect(await runResetScenario(seed, emptyTotals())).toEqual([]);
    });
  }

  // Open (reset chaos seed 544, server-wins, in a `push-held` race; replay with
  // `CHAOS_SEED=544 npx vitest run test/engine/chaos-reset.test.ts`): a put refused
  // CONFLICT for a delete has its answer lost; gc sweeps the tombstone; the put is sent
  // again and refused again, but the server has no record left to send with the replayed
  // refusal (`server: null`), and that answer comes back after a pull, its cursor now
  // expired, ran a client reset. The snapshot spared the put (still pending) and ended
  // past the swept delete; with no record in the answer, nothing settles the refusal
  // (`settleServerConflict` in `conflicts.ts`; a bidirectional manager leaves it to the
  // pull, "sure to bring the record", which cannot). The replica keeps the refused put for
  // good; the server holds nothing. The stale-pull rule does not cover it: the pull ended
  // before the acknowledgement. Not small: a refusal with no record means "gone" only to
  // a replica that may read the collective, and the pull cannot tell a snapshot since the
  // change was written from a feed that will still bring the record.
  it.fails('a put refused for a delete, told after a reset\'s snapshot that spared it and gc swept the delete, does not outlive it on the replica', async () => {
    let now = Date.now();
    const server = createSyncServer({ store: memoryServerStore(), now: () => now, tombstoneHorizonMs: 1_000, gcIntervalMs: 0 });
    const config = { conflictResolution: 'server-wins' } as const;
    const plain = memoryTransport(server);
    const other = await newReplica();
    await other.replica.put('notes', 'x', 'theirs');
    await connect(other.replica, plain, config).syncOnce();
    const { replica } = await newReplica();
    await connect(replica, plain, config).syncOnce();
    await other.replica.delete('notes', 'x');
    await connect(other.replica, plain, config).syncOnce();
    await replica.put('notes', 'x', 'mine'); // based on v1, the delete is v2: refused
    const pushOnly = { ...config, direction: 'push-only' } as const;
    await expect(connect(replica, firstPushAnswerLost(server).chaos, pushOnly).syncOnce()).rejects.toThrow(/response lost/);
    await server.collectGarbage(); // as in client-reset.test.ts: the horizon runs from a sweep before
    now += 2_000;
    expect((await server.collectGarbage()).removed).toBe(1);
    // Sent again: refused again, with no record left to send with the refusal.
    const held = holdAnswers(plain, 'push');
    const pushing = connect(replica, held.transport, pushOnly).syncOnce();
    await held.served;
    const resets: ResetEvent[] = [];
    const pull = connect(replica, plain, { ...config, direction: 'pull-only' });
    pull.on('reset', (event) => resets.push(event));
    await pull.syncOnce(); // CURSOR_EXPIRED: a reset, whose snapshot spares the pending put
    expect(resets.map((event) => ('phase' in event ? event.phase : undefined)).at(-1)).toBe('done');
    held.release();
    await pushing;
    await connect(replica, plain, config).syncOnce();
    expect(await replica.pendingCount()).toBe(0);
    expect((await server.store.readChanges({ after: 0, limit: 10 })).rows.filter((row) => row.id === 'x')).toEqual([]);
    expect(await replica.get('notes', 'x')).toBeUndefined();
  });

  // Not a bug, but a rule that depends on timing (field-last-write-wins chaos seeds 446,
  // 500, 1267, 1504, 1575, 1660, 1861; `chaos-read-only.ts` is the check's rule): a
  // replica that may read a collective but not write it keeps its refused writes, and
  // pulled states merge with them field by field. A refused delete leaves no tombstone
  // once acknowledged (as any delete), so it hides nothing of the server's that comes
  // later; but if the replica wrote the record again before the acknowledgement, the
  // delete's stamp stays in the record and hides every older field of the server's.
  describe("a read-only replica's refused delete under field-last-write-wins", () => {
    async function readerAndWriter() {
      const { server } = newServer();
      const writer = await device(server, `writer-${Math.random()}`, 0);
      const reader = await device(server, `reader-${Math.random()}`, 0);
      const readOnly = memoryTransport(server, { access: collectiveAccess('reader', { read: ['todos'], write: [] }) });
      const sync = () => connect(reader.replica, readOnly, FIELDS).syncOnce();
      await writer.replica.put('todos', 't', { title: 'milk', done: false });
      await writer.sync.syncOnce();
      await sync();
      return { writer, reader, sync };
    }

    it("acknowledged before its next patch, it is forgotten: the server's fields come back with that patch", async () => {
      const { writer, reader, sync } = await readerAndWriter();
      await reader.replica.delete('todos', 't');
      await sync(); // refused, acknowledged: the tombstone goes
      expect(await reader.replica.get('todos', 't')).toBeUndefined();
      await reader.replica.patch('todos', 't', { note: 'mine' });
      await sync();
      expect((await reader.replica.get('todos', 't'))?.value).toEqual({ note: 'mine' });
      await writer.replica.patch('todos', 't', { done: true });
      await writer.sync.syncOnce();
      await sync();
      expect((await reader.replica.get('todos', 't'))?.value).toEqual({ title: 'milk', done: true, note: 'mine' });
    });

    it('patched before the acknowledgement, it stays: the server fields older than it stay hidden there', async () => {
      const { writer, reader, sync } = await readerAndWriter();
      await reader.replica.delete('todos', 't');
      await reader.replica.patch('todos', 't', { note: 'mine' });
      await sync(); // both refused: the row is the patch's, not the tombstone, and keeps the delete's stamp
      await writer.replica.patch('todos', 't', { done: true });
      await writer.sync.syncOnce();
      await sync();
      expect((await reader.replica.get('todos', 't'))?.value).toEqual({ done: true, note: 'mine' });
      expect((await writer.replica.get('todos', 't'))?.value).toEqual({ title: 'milk', done: true });
    });
  });
});
