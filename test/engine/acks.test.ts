/**
 * Per-write acknowledgement in the engine (issue 12, item 1): every push that drops
 * changes from the log is told as an `ack` event naming the range dealt with and the
 * refusals with their reasons; the refusals are kept in the replica, so the outcome of
 * a write can be read later (another tab, a reload), bounded.
 */
import { describe, expect, it } from 'vitest';
import { keepAck, keepRefusals, readPushOutcome, type AckEvent, type ChangeRefusal, type WriteReceipt } from '../../src/engine/acks.ts';
import type { SyncChange } from '../../src/protocol/types.ts';
import { collectiveAccess } from '../../src/server/access.ts';
import { createSyncServer } from '../../src/server/sync-server.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import type { LocalStore, LocalWrite } from '../../src/store/types.ts';
import { connect, memoryTransport, newReplica } from './fixtures.ts';

/** Writes and returns the receipt a client would get. */
async function write(replica: LocalStore, writes: readonly LocalWrite[]): Promise<WriteReceipt> {
  const logged = await replica.write(writes);
  return { instanceId: replica.instanceId, firstSeq: (logged[0] as SyncChange).seq, seq: (logged.at(-1) as SyncChange).seq };
}

const put = (collective: string, id: string, value: unknown = 1): LocalWrite => ({ op: 'put', collective, id, value: value as never });

/** A server that refuses in every way: a collective `me` may not write, a value over 100 bytes. */
function strictServer() {
  const store = memoryServerStore();
  const server = createSyncServer({ store, limits: { maxValueBytes: 100 } });
  const access = collectiveAccess('me', { read: ['notes', 'public', 'todos'], write: ['notes', 'todos'] });
  return { server, mine: memoryTransport(server, { access }), anyone: memoryTransport(server) };
}

describe('per-write acknowledgement', () => {
  it('tells every acknowledged range as an ack event, with each refusal and its reason', async () => {
    const { mine, anyone } = strictServer();
    // Somebody else writes notes/shared first: our change to it, based on nothing, is stale.
    const other = await newReplica();
    await other.replica.put('notes', 'shared', 'theirs');
    await connect(other.replica, anyone, { direction: 'push-only' }).syncOnce();

    const { replica, reopen } = await newReplica();
    const receipts = {
      accepted: await write(replica, [put('notes', 'a')]),
      forbidden: await write(replica, [put('public', 'p')]),
      conflict: await write(replica, [put('notes', 'shared', 'ours')]),
      tooLarge: await write(replica, [put('notes', 'huge', 'x'.repeat(500))]),
      localOnly: await write(replica, [put('private', 'x')]),
      many: await write(replica, [put('todos', 't1'), put('public', 'p2'), put('todos', 't2')]),
    };
    for (const receipt of Object.values(receipts)) expect(await readPushOutcome(replica, receipt)).toBeUndefined(); // pending

    const manager = connect(replica, mine, { conflictResolution: 'server-wins', collectives: ['notes', 'public', 'todos'], batchSize: 20 });
    const acks: AckEvent[] = [];
    manager.on('ack', (ack) => acks.push(ack));
    await manager.syncOnce();

    // The events cover every seq once, in order, and name each refusal.
    const covered = acks.flatMap((a) => Array.from({ length: a.upTo - a.from + 1 }, (_, i) => a.from + i));
    expect(covered).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const refused = acks.flatMap((a) => a.refusals.map((r) => [r.seq, r.reason]));
    expect(refused).toEqual([
      [2, 'FORBIDDEN'],
      [3, 'CONFLICT'],
      [4, 'PAYLOAD_TOO_LARGE'],
      [5, 'LOCAL_ONLY'],
      [7, 'FORBIDDEN'],
    ]);

    // The replica answers the same, and still does after a reopen (a reload).
    const again = await reopen();
    for (const store of [replica, again]) {
      expect(await readPushOutcome(store, receipts.accepted)).toEqual({ status: 'accepted', seq: 1 });
      expect(await readPushOutcome(store, receipts.forbidden)).toMatchObject({ status: 'refused', refusals: [{ seq: 2, reason: 'FORBIDDEN', collective: 'public', id: 'p' }] });
      expect(await readPushOutcome(store, receipts.conflict)).toMatchObject({ status: 'refused', refusals: [{ reason: 'CONFLICT' }] });
      expect(await readPushOutcome(store, receipts.tooLarge)).toMatchObject({ status: 'refused', refusals: [{ reason: 'PAYLOAD_TOO_LARGE' }] });
      expect(await readPushOutcome(store, receipts.localOnly)).toMatchObject({ status: 'refused', refusals: [{ reason: 'LOCAL_ONLY' }] });
      // A write of three changes, one refused: refused, naming that one only.
      expect(await readPushOutcome(store, receipts.many)).toMatchObject({ status: 'refused', seq: 8, refusals: [{ seq: 7, id: 'p2' }] });
    }
    // A receipt of another replica (one since cleared, say) is unknown here.
    expect(await readPushOutcome(replica, { ...receipts.accepted, instanceId: other.replica.instanceId })).toEqual({ status: 'unknown', seq: 1 });
  });

  it('a last-write-wins change the server’s newer record beat reads as accepted (the conflict event says it lost)', async () => {
    const { anyone } = strictServer();
    const { replica } = await newReplica('lww', { now: () => 1_000 }); // an old clock: it loses
    const receipt = await write(replica, [put('notes', 'n', 'old')]);
    const other = await newReplica();
    await other.replica.put('notes', 'n', 'new');
    await connect(other.replica, anyone, { direction: 'push-only' }).syncOnce();
    const manager = connect(replica, anyone);
    const lost: string[] = [];
    manager.on('conflict', (c) => lost.push(c.outcome));
    await manager.syncOnce();
    expect(lost).toEqual(['remote']);
    expect(await readPushOutcome(replica, receipt)).toEqual({ status: 'accepted', seq: 1 });
  });

  it('a refusal kept before a crash is told again when the re-sent batch is acknowledged without it', async () => {
    const { mine } = strictServer();
    const { replica } = await newReplica();
    const receipt = await write(replica, [put('public', 'p')]);
    const acknowledge = replica.acknowledge.bind(replica);
    let crashes = 1;
    replica.acknowledge = (peer, seq) => (crashes-- > 0 ? Promise.reject(new Error('crashed before the log was trimmed')) : acknowledge(peer, seq));
    await expect(connect(replica, mine).syncOnce()).rejects.toThrow();
    expect(await readPushOutcome(replica, receipt)).toBeUndefined(); // still in the log

    // A new manager (the next leader) re-sends: the server has applied seq 1 and refuses nothing now.
    const manager = connect(replica, mine);
    const acks: AckEvent[] = [];
    manager.on('ack', (ack) => acks.push(ack));
    await manager.syncOnce();
    expect(acks).toEqual([{ from: 1, upTo: 1, refusals: [expect.objectContaining({ seq: 1, reason: 'FORBIDDEN' })] }]);
    expect(await readPushOutcome(replica, receipt)).toMatchObject({ status: 'refused' });
  });

  it(`keeps the latest refusals only; older writes read as unknown, never as accepted`, async () => {
    const refusal = (seq: number): ChangeRefusal => ({ seq, collective: 'c', id: `r${seq}`, reason: 'FORBIDDEN', message: 'no' });
    const { replica } = await newReplica();
    const { instanceId } = replica;
    const kept = keepRefusals({ instanceId, refusals: [], forgottenUpTo: 0 }, Array.from({ length: 12 }, (_, i) => refusal(i + 1)), 10);
    expect(kept.refusals.map((r) => r.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(kept.forgottenUpTo).toBe(2);
    expect(keepRefusals(kept, [refusal(12)], 10)).toEqual(kept); // a re-sent batch refused again: kept once

    for (let i = 0; i < 3; i++) await replica.put('c', `w${i}`, i);
    await replica.acknowledge('peer', 3);
    await replica.updateNote('refusals', () => ({ instanceId, refusals: [refusal(3)], forgottenUpTo: 1 }));
    const receipt = (seq: number): WriteReceipt => ({ instanceId, firstSeq: seq, seq });
    expect(await readPushOutcome(replica, receipt(1))).toEqual({ status: 'unknown', seq: 1 });
    expect(await readPushOutcome(replica, receipt(2))).toEqual({ status: 'accepted', seq: 2 });
    expect(await readPushOutcome(replica, receipt(3))).toMatchObject({ status: 'refused' });
    expect(await keepAck(replica, 2, 2, [refusal(2)])).toEqual({ from: 2, upTo: 2, refusals: [refusal(2)] });
    expect(await readPushOutcome(replica, receipt(2))).toMatchObject({ status: 'refused' });
    // Kept for this instance id only: under a renewed identity, seqs start again and nothing is kept.
    await replica.put('c', 'w3', 3);
    const renewed = await replica.startNewIdentity(instanceId);
    expect(await readPushOutcome(replica, { instanceId: renewed, firstSeq: 1, seq: 1 })).toBeUndefined();
    await replica.acknowledge('peer', 1);
    expect(await readPushOutcome(replica, { instanceId: renewed, firstSeq: 1, seq: 1 })).toEqual({ status: 'accepted', seq: 1 });
    expect(await readPushOutcome(replica, receipt(2))).toEqual({ status: 'unknown', seq: 2 });
  });
});
