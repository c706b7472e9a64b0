/**
 * The contract every LocalStore implementation passes: the IndexedDB replica under
 * fake-indexeddb in Node and in real Chromium, the memory replica, and any later
 * layout. It uses the LocalStore interface only: `open(name)` opens (or reopens) the
 * replica called `name`. Registered with vitest's `describe`/`it`, like automerge-repo's
 * `runStorageAdapterTests`; the Chromium run bundles this file with a page-side shim
 * of those functions (test/support/contract-page/).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { formatHlc, type Hlc } from '../clock/hlc.ts';
import { isSyncError } from '../protocol/errors.ts';
import type { ChangeOp, JsonValue, PulledChange } from '../protocol/types.ts';
import type { ChangeEvent, LocalStore } from '../store/types.ts';

/** Opens the replica `name`; a second call with the same name reopens the same data. */
export type OpenReplica = (name: string) => Promise<LocalStore>;

const OTHER_REPLICA = '01900000-0000-7000-8000-0000000000aa';
const PEER = 'server-1';

/** A server state for `applyRemote`. */
export function pulled(
  collective: string,
  id: string,
  version: number,
  options: { op?: ChangeOp; value?: JsonValue; wallMs?: number; source?: string } = {},
): PulledChange {
  const op = options.op ?? 'put';
  const source = options.source ?? OTHER_REPLICA;
  const hlc: Hlc = formatHlc({ wallMs: options.wallMs ?? Date.now(), counter: 0, node: source });
  const base = { collective, id, op, hlc, source, version };
  return op === 'put' ? { ...base, value: options.value ?? { v: version } } : base;
}

/** Awaits `promise` and returns the SyncError code it failed with (or 'resolved'). */
export async function failureCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return isSyncError(error) ? error.code : `not a SyncError: ${String(error)}`;
  }
}

/**
 * Registers the contract suite for one implementation, in a `describe` named after
 * `label`. Every test opens replicas under names of its own and closes them afterwards;
 * `open` must reopen the same data when given a name again (including while another
 * store object holds it, as a second tab).
 *
 * @example
 * runReplicaContract((name) => memoryReplica({ name, databases }), 'memory replica');
 */
export function runReplicaContract(open: OpenReplica, label = 'LocalStore'): void {
  describe(`LocalStore contract: ${label}`, () => {
    const opened: LocalStore[] = [];
    let counter = 0;

    /** A fresh replica with its own name, and a way to reopen it. */
    async function fresh(): Promise<{ replica: LocalStore; reopen: () => Promise<LocalStore> }> {
      const name = `contract-${Date.now()}-${++counter}`;
      const reopen = async () => {
        const replica = await open(name);
        opened.push(replica);
        return replica;
      };
      return { replica: await reopen(), reopen };
    }

    afterEach(() => {
      for (const replica of opened.splice(0)) replica.close();
    });

    describe('records', () => {
      it('gives back what was put', async () => {
        const { replica } = await fresh();
        await replica.put('notes', 'a', { title: 'hello', tags: ['x'] });
        const entry = await replica.get('notes', 'a');
        expect(entry?.value).toEqual({ title: 'hello', tags: ['x'] });
        expect(entry?.origin).toBe(replica.instanceId);
        expect(entry?.version).toBeUndefined();
      });

      it('answers undefined for a record never written', async () => {
        const { replica } = await fresh();
        expect(await replica.get('notes', 'missing')).toBeUndefined();
      });

      it('lists one collective, ordered by id, without its neighbours', async () => {
        const { replica } = await fresh();
        await replica.put('notes', 'b', 2);
        await replica.put('notes', 'a', 1);
        await replica.put('notes', 'c', 3);
        await replica.put('note', 'z', 0);
        await replica.put('notes2', 'a', 0);
        const ids = (await replica.list('notes')).map((r) => r.id);
        expect(ids).toEqual(['a', 'b', 'c']);
      });

      it('hides a deleted record from get and list', async () => {
        const { replica } = await fresh();
        await replica.put('notes', 'a', 1);
        await replica.put('notes', 'b', 2);
        await replica.delete('notes', 'a');
        expect(await replica.get('notes', 'a')).toBeUndefined();
        expect((await replica.list('notes')).map((r) => r.id)).toEqual(['b']);
      });

      it('stores null, false and 0 as values', async () => {
        const { replica } = await fresh();
        await replica.putMany([
          { collective: 'c', id: 'null', value: null },
          { collective: 'c', id: 'false', value: false },
          { collective: 'c', id: 'zero', value: 0 },
        ]);
        expect((await replica.list('c')).map((r) => r.value)).toEqual([false, null, 0]);
      });

      it('refuses a bad argument with INVALID_PAYLOAD and writes nothing', async () => {
        const { replica } = await fresh();
        expect(await failureCode(replica.put('', 'a', 1))).toBe('INVALID_PAYLOAD');
        expect(await failureCode(replica.put('notes', '', 1))).toBe('INVALID_PAYLOAD');
        expect(await failureCode(replica.put('notes', 'a', new Date() as unknown as JsonValue))).toBe('INVALID_PAYLOAD');
        expect(await failureCode(replica.get('', 'a'))).toBe('INVALID_PAYLOAD');
        expect(await replica.pendingCount()).toBe(0);
      });

      it('writes all of a putMany or, if one record is invalid, none of it', async () => {
        const { replica } = await fresh();
        const code = await failureCode(
          replica.putMany([
            { collective: 'notes', id: 'a', value: 1 },
            { collective: 'notes', id: 'b', value: undefined as unknown as JsonValue },
            { collective: 'notes', id: 'c', value: 3 },
          ]),
        );
        expect(code).toBe('INVALID_PAYLOAD');
        expect(await replica.list('notes')).toEqual([]);
        expect(await replica.pendingCount()).toBe(0);

        await replica.putMany([
          { collective: 'notes', id: 'a', value: 1 },
          { collective: 'notes', id: 'c', value: 3 },
        ]);
        expect((await replica.list('notes')).map((r) => r.value)).toEqual([1, 3]);
      });

      it('puts and deletes together with write, returning the logged changes', async () => {
        const { replica } = await fresh();
        await replica.put('notes', 'old', 0);
        const changes = await replica.write([
          { op: 'put', collective: 'notes', id: 'new', value: 'n' },
          { op: 'delete', collective: 'notes', id: 'old' },
        ]);
        expect(changes.map((c) => [c.seq, c.op, c.id])).toEqual([
          [2, 'put', 'new'],
          [3, 'delete', 'old'],
        ]);
        expect(changes[1]).not.toHaveProperty('value');
        expect((await replica.list('notes')).map((r) => r.id)).toEqual(['new']);
      });
    });

    describe('change log', () => {
      it('logs every local write with its seq, source, hlc and base version', async () => {
        const { replica } = await fresh();
        await replica.put('notes', 'a', { n: 1 });
        await replica.delete('notes', 'a');
        const pending = await replica.pendingChanges(10);
        expect(pending).toHaveLength(2);
        expect(pending[0]).toMatchObject({ seq: 1, source: replica.instanceId, collective: 'notes', id: 'a', op: 'put', value: { n: 1 }, baseVersion: null });
        expect(pending[1]).toMatchObject({ seq: 2, op: 'delete', baseVersion: null });
        expect(pending[1]).not.toHaveProperty('value');
        expect(pending[0]!.hlc < pending[1]!.hlc).toBe(true);
        expect((await replica.get('notes', 'a'))).toBeUndefined();
      });

      it('gives the changes of one transaction one timestamp and consecutive seqs', async () => {
        const { replica } = await fresh();
        const changes = await replica.write([
          { op: 'put', collective: 'c', id: '1', value: 1 },
          { op: 'put', collective: 'c', id: '2', value: 2 },
          { op: 'put', collective: 'c', id: '3', value: 3 },
        ]);
        expect(changes.map((c) => c.seq)).toEqual([1, 2, 3]);
        expect(new Set(changes.map((c) => c.hlc)).size).toBe(1);
        expect(await replica.pendingChanges(10)).toEqual(changes);
      });

      it('numbers changes without gaps across transactions and reopens', async () => {
        const { replica, reopen } = await fresh();
        await replica.put('c', 'a', 1);
        await replica.putMany([
          { collective: 'c', id: 'b', value: 2 },
          { collective: 'c', id: 'c', value: 3 },
        ]);
        replica.close();
        const again = await reopen();
        await again.put('c', 'd', 4);
        expect((await again.pendingChanges(100)).map((c) => c.seq)).toEqual([1, 2, 3, 4]);
      });

      it('never reuses a seq, even after everything was acknowledged', async () => {
        const { replica, reopen } = await fresh();
        await replica.putMany([
          { collective: 'c', id: 'a', value: 1 },
          { collective: 'c', id: 'b', value: 2 },
        ]);
        await replica.acknowledge(PEER, 2);
        replica.close();
        const again = await reopen();
        await again.put('c', 'c', 3);
        expect((await again.pendingChanges(10)).map((c) => c.seq)).toEqual([3]);
      });

      it('never hands out one seq twice to concurrent writes, in one store object or two', async () => {
        const { replica, reopen } = await fresh();
        const otherTab = await reopen();
        expect(otherTab.instanceId).toBe(replica.instanceId);
        await Promise.all([
          replica.put('c', 'a', 1),
          otherTab.putMany([{ collective: 'c', id: 'b', value: 2 }, { collective: 'c', id: 'c', value: 3 }]),
          replica.write([{ op: 'delete', collective: 'c', id: 'a' }]),
          otherTab.put('c', 'd', 4),
        ]);
        const seqs = (await replica.pendingChanges(10)).map((c) => c.seq);
        expect(seqs).toEqual([1, 2, 3, 4, 5]);
        const hlcs = (await otherTab.pendingChanges(10)).map((c) => c.hlc);
        expect([...hlcs].sort()).toEqual(hlcs);
      });

      it('keeps its instanceId across reopens, and two replicas differ', async () => {
        const { replica, reopen } = await fresh();
        const id = replica.instanceId;
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        replica.close();
        expect((await reopen()).instanceId).toBe(id);
        expect((await fresh()).replica.instanceId).not.toBe(id);
      });

      it('splits a transaction across the limit of pendingChanges', async () => {
        const { replica } = await fresh();
        await replica.putMany([1, 2, 3, 4, 5].map((n) => ({ collective: 'c', id: `r${n}`, value: n })));
        await replica.put('c', 'r6', 6);
        const first = await replica.pendingChanges(3);
        expect(first.map((c) => c.seq)).toEqual([1, 2, 3]);
        await replica.acknowledge(PEER, 3);
        const rest = await replica.pendingChanges(10);
        expect(rest.map((c) => c.seq)).toEqual([4, 5, 6]);
        expect(rest[0]!.hlc).toBe(first[0]!.hlc);
        expect(rest.map((c) => c.id)).toEqual(['r4', 'r5', 'r6']);
      });

      it('answers an empty list for a limit of 0 or an empty log', async () => {
        const { replica } = await fresh();
        expect(await replica.pendingChanges(10)).toEqual([]);
        await replica.put('c', 'a', 1);
        expect(await replica.pendingChanges(0)).toEqual([]);
      });

      it('drops acknowledged changes, trims a half-acknowledged transaction and counts the rest', async () => {
        const { replica } = await fresh();
        await replica.put('c', 'a', 1); // seq 1
        await replica.putMany([2, 3, 4].map((n) => ({ collective: 'c', id: `r${n}`, value: n }))); // 2..4
        await replica.put('c', 'e', 5); // seq 5
        expect(await replica.pendingCount()).toBe(5);

        await replica.acknowledge(PEER, 3);
        expect(await replica.pendingCount()).toBe(2);
        expect((await replica.pendingChanges(10)).map((c) => c.seq)).toEqual([4, 5]);

        await replica.acknowledge(PEER, 5);
        expect(await replica.pendingCount()).toBe(0);
        expect(await replica.pendingChanges(10)).toEqual([]);
        await replica.put('c', 'f', 6);
        expect(await replica.pendingCount()).toBe(1);
      });

      it('never moves the push cursor back, and keeps it per peer', async () => {
        const { replica } = await fresh();
        await replica.putMany([1, 2, 3, 4, 5].map((n) => ({ collective: 'c', id: `r${n}`, value: n })));
        expect(await replica.pushCursor(PEER)).toBe(0);
        await replica.acknowledge(PEER, 4);
        await replica.acknowledge(PEER, 2);
        expect(await replica.pushCursor(PEER)).toBe(4);
        expect(await replica.pushCursor('server-2')).toBe(0);
        expect((await replica.pendingChanges(10)).map((c) => c.seq)).toEqual([5]);
      });

      it('keeps push and pull cursors apart', async () => {
        const { replica } = await fresh();
        await replica.put('c', 'a', 1);
        await replica.acknowledge(PEER, 1);
        await replica.applyRemote([pulled('c', 'x', 40)], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 40 } });
        expect(await replica.pushCursor(PEER)).toBe(1);
        expect(await replica.pullCursor(PEER)).toBe(40);
      });
    });

    describe('applying a pulled batch', () => {
      it('writes the batch and its cursor, and logs nothing', async () => {
        const { replica } = await fresh();
        const result = await replica.applyRemote([pulled('notes', 'a', 7), pulled('notes', 'b', 9, { op: 'delete' })], {
          policy: 'last-write-wins',
          cursor: { peer: PEER, from: 0, to: 12 },
        });
        expect(result).toEqual({ applied: 2, conflicts: [] });
        expect(await replica.get('notes', 'a')).toMatchObject({ value: { v: 7 }, version: 7, origin: OTHER_REPLICA });
        expect(await replica.get('notes', 'b')).toBeUndefined();
        expect(await replica.pullCursor(PEER)).toBe(12);
        expect(await replica.pendingCount()).toBe(0);
        expect(await replica.pendingChanges(10)).toEqual([]);
      });

      it('moves the cursor even for a batch with no changes', async () => {
        const { replica } = await fresh();
        await replica.applyRemote([], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 30 } });
        expect(await replica.pullCursor(PEER)).toBe(30);
      });

      it('bases later local changes on the last cursor applied', async () => {
        const { replica } = await fresh();
        await replica.applyRemote([pulled('c', 'x', 5)], { policy: 'server-wins', cursor: { peer: PEER, from: 0, to: 5 } });
        await replica.put('c', 'y', 1);
        expect((await replica.pendingChanges(1))[0]?.baseVersion).toBe(5);
      });

      it('refuses a batch pulled from a stale cursor and changes nothing', async () => {
        const { replica } = await fresh();
        await replica.applyRemote([pulled('c', 'a', 3, { value: 'first' })], {
          policy: 'last-write-wins',
          cursor: { peer: PEER, from: 0, to: 3 },
        });
        const events: ChangeEvent[] = [];
        replica.subscribe((e) => events.push(e));
        const code = await failureCode(
          replica.applyRemote([pulled('c', 'a', 3, { value: 'late' }), pulled('c', 'b', 4)], {
            policy: 'last-write-wins',
            cursor: { peer: PEER, from: 0, to: 4 },
          }),
        );
        expect(code).toBe('CONFLICT');
        expect((await replica.get('c', 'a'))?.value).toBe('first');
        expect(await replica.get('c', 'b')).toBeUndefined();
        expect(await replica.pullCursor(PEER)).toBe(3);
        expect(events).toEqual([]);
      });

      it('keeps pull cursors per peer', async () => {
        const { replica } = await fresh();
        await replica.applyRemote([], { policy: 'last-write-wins', cursor: { peer: 'a', from: 0, to: 10 } });
        await replica.applyRemote([], { policy: 'last-write-wins', cursor: { peer: 'b', from: 0, to: 20 } });
        expect([await replica.pullCursor('a'), await replica.pullCursor('b')]).toEqual([10, 20]);
      });

      it('last-write-wins: keeps a pending local change that is later than the incoming one', async () => {
        const { replica } = await fresh();
        await replica.put('c', 'a', 'mine');
        const result = await replica.applyRemote([pulled('c', 'a', 2, { value: 'theirs', wallMs: 1_000 })], {
          policy: 'last-write-wins',
          cursor: { peer: PEER, from: 0, to: 2 },
        });
        expect(result.applied).toBe(0);
        expect(result.conflicts).toHaveLength(1);
        expect(result.conflicts[0]).toMatchObject({ collective: 'c', id: 'a', winner: 'local', local: { op: 'put', value: 'mine' } });
        expect((await replica.get('c', 'a'))?.value).toBe('mine');
        expect(await replica.pendingCount()).toBe(1);
        expect(await replica.pullCursor(PEER)).toBe(2);
      });

      it('last-write-wins: takes an incoming change that is later than the pending local one', async () => {
        const { replica } = await fresh();
        await replica.put('c', 'a', 'mine');
        const future = Date.now() + 60_000;
        const result = await replica.applyRemote([pulled('c', 'a', 2, { value: 'theirs', wallMs: future })], {
          policy: 'last-write-wins',
          cursor: { peer: PEER, from: 0, to: 2 },
        });
        expect(result.applied).toBe(1);
        expect(result.conflicts).toMatchObject([{ id: 'a', winner: 'remote', remote: { value: 'theirs' } }]);
        expect((await replica.get('c', 'a'))?.value).toBe('theirs');
      });

      it('last-write-wins: compares with the latest pending change of the record', async () => {
        const { replica } = await fresh();
        await replica.put('c', 'a', 'first');
        await replica.delete('c', 'a');
        const result = await replica.applyRemote([pulled('c', 'a', 2, { wallMs: 1_000 })], {
          policy: 'last-write-wins',
          cursor: { peer: PEER, from: 0, to: 2 },
        });
        expect(result.conflicts).toMatchObject([{ winner: 'local', local: { op: 'delete' } }]);
        expect(await replica.get('c', 'a')).toBeUndefined();
      });

      it('last-write-wins: a record whose local change was acknowledged takes the server state', async () => {
        const { replica } = await fresh();
        await replica.put('c', 'a', 'mine');
        await replica.acknowledge(PEER, 1);
        const result = await replica.applyRemote([pulled('c', 'a', 2, { value: 'server', wallMs: 1_000 })], {
          policy: 'last-write-wins',
          cursor: { peer: PEER, from: 0, to: 2 },
        });
        expect(result).toEqual({ applied: 1, conflicts: [] });
        expect((await replica.get('c', 'a'))?.value).toBe('server');
      });

      it('server-wins: overwrites a pending local change', async () => {
        const { replica } = await fresh();
        await replica.put('c', 'a', 'mine');
        const result = await replica.applyRemote([pulled('c', 'a', 2, { value: 'server', wallMs: 1_000 })], {
          policy: 'server-wins',
          cursor: { peer: PEER, from: 0, to: 2 },
        });
        expect(result).toEqual({ applied: 1, conflicts: [] });
        expect(await replica.get('c', 'a')).toMatchObject({ value: 'server', version: 2 });
      });

      it('stamps a local write after a far-future remote change later than it', async () => {
        const { replica } = await fresh();
        const farFuture = Date.now() + 10 * 365 * 24 * 3600 * 1000;
        const incoming = pulled('c', 'a', 1, { wallMs: farFuture });
        await replica.applyRemote([incoming], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 1 } });
        await replica.put('c', 'b', 'after');
        const [change] = await replica.pendingChanges(1);
        expect(change!.hlc > incoming.hlc).toBe(true);
        expect((await replica.get('c', 'b'))!.hlc).toBe(change!.hlc);
      });

      it('survives a reopen with the clock it had seen', async () => {
        const { replica, reopen } = await fresh();
        const farFuture = Date.now() + 10 * 365 * 24 * 3600 * 1000;
        const incoming = pulled('c', 'a', 1, { wallMs: farFuture });
        await replica.applyRemote([incoming], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 1 } });
        replica.close();
        const again = await reopen();
        await again.put('c', 'b', 'after');
        expect((await again.pendingChanges(1))[0]!.hlc > incoming.hlc).toBe(true);
      });
    });

    describe('applying server states outside the feed', () => {
      it('last-write-wins: writes only a state later than the one held, and leaves the cursor', async () => {
        const { replica } = await fresh();
        await replica.put('c', 'a', 'mine');
        const older = await replica.applyRemote([pulled('c', 'a', 5, { value: 'old', wallMs: 1_000 })], { policy: 'last-write-wins' });
        expect(older.applied).toBe(0);
        expect((await replica.get('c', 'a'))?.value).toBe('mine');

        const newer = await replica.applyRemote([pulled('c', 'a', 6, { value: 'new', wallMs: Date.now() + 60_000 })], {
          policy: 'last-write-wins',
        });
        expect(newer.applied).toBe(1);
        expect((await replica.get('c', 'a'))?.value).toBe('new');
        expect(await replica.pullCursor(PEER)).toBe(0);
        expect(await replica.pendingCount()).toBe(1);
      });

      it('server-wins: writes a higher server version, or over a local state', async () => {
        const { replica } = await fresh();
        await replica.put('c', 'local', 'mine');
        await replica.applyRemote([pulled('c', 'a', 5, { value: 'v5' })], { policy: 'server-wins', cursor: { peer: PEER, from: 0, to: 5 } });

        const stale = await replica.applyRemote([pulled('c', 'a', 3, { value: 'v3' })], { policy: 'server-wins' });
        expect(stale.applied).toBe(0);
        expect((await replica.get('c', 'a'))?.value).toBe('v5');

        const result = await replica.applyRemote(
          [pulled('c', 'a', 7, { value: 'v7' }), pulled('c', 'local', 6, { value: 'server', wallMs: 1_000 })],
          { policy: 'server-wins' },
        );
        expect(result.applied).toBe(2);
        expect((await replica.get('c', 'a'))?.value).toBe('v7');
        expect((await replica.get('c', 'local'))?.value).toBe('server');
        expect(await replica.pullCursor(PEER)).toBe(5);
      });

      it('writes a state for a record it never held', async () => {
        const { replica } = await fresh();
        const result = await replica.applyRemote([pulled('c', 'new', 2, { wallMs: 1_000 })], { policy: 'last-write-wins' });
        expect(result.applied).toBe(1);
        expect(await replica.get('c', 'new')).toMatchObject({ version: 2 });
      });
    });

    describe('change events', () => {
      it('tells subscribers about local writes and applied remote changes, after commit', async () => {
        const { replica } = await fresh();
        const events: ChangeEvent[] = [];
        const unsubscribe = replica.subscribe((event) => events.push(event));
        await replica.put('c', 'a', 1);
        expect(events).toEqual([{ source: 'local', changes: [{ collective: 'c', id: 'a', op: 'put', value: 1 }] }]);
        await replica.delete('c', 'a');
        await replica.applyRemote([pulled('c', 'b', 3, { value: 'x' })], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 3 } });
        expect(events.slice(1)).toEqual([
          { source: 'local', changes: [{ collective: 'c', id: 'a', op: 'delete' }] },
          { source: 'remote', changes: [{ collective: 'c', id: 'b', op: 'put', value: 'x' }] },
        ]);
        unsubscribe();
        await replica.put('c', 'a', 2);
        expect(events).toHaveLength(3);
      });

      it('fires nothing for a failed write', async () => {
        const { replica } = await fresh();
        const events: ChangeEvent[] = [];
        replica.subscribe((event) => events.push(event));
        await failureCode(replica.putMany([{ collective: 'c', id: '', value: 1 }]));
        expect(events).toEqual([]);
      });
    });

    describe('lifecycle', () => {
      it('fails every call with DATABASE_CLOSED after close()', async () => {
        const { replica } = await fresh();
        await replica.put('c', 'a', 1);
        replica.close();
        expect(await failureCode(replica.get('c', 'a'))).toBe('DATABASE_CLOSED');
        expect(await failureCode(replica.put('c', 'b', 1))).toBe('DATABASE_CLOSED');
        expect(await failureCode(replica.pendingChanges(1))).toBe('DATABASE_CLOSED');
        expect(await failureCode(replica.applyRemote([], { policy: 'last-write-wins' }))).toBe('DATABASE_CLOSED');
        expect(await failureCode(replica.putMany([]))).toBe('DATABASE_CLOSED');
      });

      it('keeps records, log and cursors across a reopen', async () => {
        const { replica, reopen } = await fresh();
        await replica.put('c', 'a', 1);
        await replica.applyRemote([pulled('c', 'b', 4)], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 4 } });
        replica.close();
        const again = await reopen();
        expect((await again.list('c')).map((r) => r.id)).toEqual(['a', 'b']);
        expect(await again.pendingCount()).toBe(1);
        expect(await again.pullCursor(PEER)).toBe(4);
      });
    });
  });
}
