/**
 * The replica contract, field-level records: local patches (a write of some fields,
 * logged and pushed as a patch) and server states applied under
 * `field-last-write-wins`, which merge with the record held instead of replacing it.
 */
import { describe, expect, it } from 'vitest';
import { formatHlc } from '../clock/hlc.ts';
import type { FieldStamp, JsonValue, PulledChange } from '../protocol/types.ts';
import { fieldStore } from '../store/field-seam.ts';
import type { ChangeEvent } from '../store/types.ts';
import { failureCode, OTHER_REPLICA, PEER, type FreshReplica } from './replica-contract-fixtures.ts';

const FIELDS = 'field-last-write-wins';

/** A stamp by the other replica, `agoMs` before now. */
function stamp(path: string[], agoMs: number, extra: Partial<FieldStamp> = {}): FieldStamp {
  return { path, hlc: formatHlc({ wallMs: Date.now() - agoMs, counter: 0, node: OTHER_REPLICA }), source: OTHER_REPLICA, ...extra };
}

/** A field-level server state of `notes/a`. */
function fieldRow(version: number, value: JsonValue, fields: FieldStamp[]): PulledChange {
  const latest = [...fields].sort((x, y) => (x.hlc < y.hlc ? 1 : -1))[0] as FieldStamp;
  return { collective: 'notes', id: 'a', op: 'put', value, hlc: latest.hlc, source: OTHER_REPLICA, version, fields };
}

/** Registers the tests of field-level records. */
export function fieldTests(fresh: FreshReplica): void {
  /** A fresh replica, with `patch` and `explain` (the contract asks `open` for field-level records). */
  const freshFields = async () => {
    const { replica, reopen } = await fresh();
    return { replica: fieldStore(replica, 'the field-level contract'), reopen };
  };
  describe('patches', () => {
    it('writes only the fields a patch names, and logs the patch as a patch', async () => {
      const { replica } = await freshFields();
      await replica.put('notes', 'a', { title: 'milk', done: false });
      await replica.patch('notes', 'a', [{ path: ['done'], value: true }]);
      expect((await replica.get('notes', 'a'))?.value).toEqual({ title: 'milk', done: true });
      const [, logged] = await replica.pendingChanges(10);
      expect(logged).toEqual({
        seq: 2,
        source: replica.instanceId,
        collective: 'notes',
        id: 'a',
        op: 'patch',
        fields: [{ path: ['done'], value: true }],
        hlc: expect.any(String),
        baseVersion: null,
      });
    });

    it('makes a missing record of the patched fields, nested paths as objects, and deletes a field named without a value', async () => {
      const { replica } = await freshFields();
      await replica.patch('notes', 'n', [{ path: ['address', 'city'], value: 'Lyon' }, { path: ['tags'], value: ['a'] }]);
      expect((await replica.get('notes', 'n'))?.value).toEqual({ address: { city: 'Lyon' }, tags: ['a'] });
      await replica.patch('notes', 'n', [{ path: ['tags'] }, { path: ['address', 'zip'], value: '69001' }]);
      expect((await replica.get('notes', 'n'))?.value).toEqual({ address: { city: 'Lyon', zip: '69001' } });
    });

    it('brings a deleted record back with only the patched fields', async () => {
      const { replica } = await freshFields();
      await replica.put('notes', 'd', { title: 'milk', done: false });
      await replica.delete('notes', 'd');
      await replica.patch('notes', 'd', [{ path: ['done'], value: true }]);
      expect((await replica.get('notes', 'd'))?.value).toEqual({ done: true });
    });

    it('tells subscribers the record as the patch left it, and keeps field stamps out of what get returns', async () => {
      const { replica } = await freshFields();
      await replica.put('notes', 'a', { title: 'milk' });
      const events: ChangeEvent[] = [];
      replica.subscribe((event) => events.push(event));
      await replica.patch('notes', 'a', [{ path: ['done'], value: true }]);
      expect(events).toEqual([{ source: 'local', changes: [{ collective: 'notes', id: 'a', op: 'put', value: { title: 'milk', done: true } }] }]);
      expect(await replica.get('notes', 'a')).not.toHaveProperty('fields');
    });

    it('refuses a malformed patch and writes nothing', async () => {
      const { replica } = await freshFields();
      const bad: unknown[] = [
        [],
        [{ path: ['a'], value: 1 }, { path: ['a', 'b'], value: 2 }],
        [{ path: [], value: 1 }],
        [{ path: 'a', value: 1 }],
        [{ path: ['a'], value: new Date() }],
      ];
      for (const fields of bad) expect(await failureCode(replica.patch('notes', 'a', fields as never))).toBe('INVALID_PAYLOAD');
      expect(await failureCode(replica.patch('', 'a', [{ path: ['a'], value: 1 }]))).toBe('INVALID_PAYLOAD');
      expect(await replica.pendingCount()).toBe(0);
      expect(await replica.get('notes', 'a')).toBeUndefined();
    });
  });

  describe('applying server states under field-last-write-wins', () => {
    it('merges a pulled record with a pending patch: both edits stay, and the patch stays pending', async () => {
      const { replica } = await freshFields();
      await replica.patch('notes', 'a', [{ path: ['title'], value: 'oat milk' }]);
      const row = fieldRow(5, { title: 'milk', done: true }, [stamp([], 10_000), stamp(['done'], 5_000)]);
      const result = await replica.applyRemote([row], { policy: FIELDS, cursor: { peer: PEER, from: 0, to: 5 } });
      expect(result).toEqual({ applied: 1, conflicts: [] });
      expect((await replica.get('notes', 'a'))?.value).toEqual({ title: 'oat milk', done: true });
      expect((await replica.pendingChanges(10)).map((change) => change.op)).toEqual(['patch']);
      expect(await replica.pullCursor(PEER)).toBe(5);
    });

    it('reads a pulled record written whole as one write of every field: older, the patch stays on top; newer, it replaces all', async () => {
      const { replica } = await freshFields();
      await replica.patch('notes', 'a', [{ path: ['done'], value: true }]);
      const whole: PulledChange = { collective: 'notes', id: 'a', op: 'put', value: { title: 'x' }, hlc: stamp([], 60_000).hlc, source: OTHER_REPLICA, version: 3 };
      await replica.applyRemote([whole], { policy: FIELDS, cursor: { peer: PEER, from: 0, to: 3 } });
      expect((await replica.get('notes', 'a'))?.value).toEqual({ title: 'x', done: true });
      const newer = { ...whole, version: 4, value: { title: 'y' }, hlc: formatHlc({ wallMs: Date.now() + 60_000, counter: 0, node: OTHER_REPLICA }) };
      await replica.applyRemote([newer], { policy: FIELDS, cursor: { peer: PEER, from: 3, to: 4 } });
      expect((await replica.get('notes', 'a'))?.value).toEqual({ title: 'y' });
    });

    it('keeps a record’s stamps, across a reopen: a field goes by its own stamp, not the record’s latest', async () => {
      const { replica, reopen } = await fresh();
      await replica.applyRemote([fieldRow(5, { title: 'new', done: false }, [stamp([], 20_000), stamp(['title'], 1_000)])], {
        policy: FIELDS,
        cursor: { peer: PEER, from: 0, to: 5 },
      });
      const again = await reopen();
      // A server state learnt from a push (no cursor): its title is older than the one
      // held, its done newer than the held done (the record's first write), though older
      // than the held record's latest stamp.
      const stale = fieldRow(4, { title: 'old', done: true }, [stamp([], 20_000), stamp(['title'], 9_000), stamp(['done'], 5_000)]);
      expect(await again.applyRemote([stale], { policy: FIELDS })).toEqual({ applied: 1, conflicts: [] });
      expect((await again.get('notes', 'a'))?.value).toEqual({ title: 'new', done: true });
    });

    it('writes nothing, and tells nobody, when a server state adds nothing to the record', async () => {
      const { replica } = await freshFields();
      const row = fieldRow(5, { title: 'milk' }, [stamp([], 1_000)]);
      await replica.applyRemote([row], { policy: FIELDS, cursor: { peer: PEER, from: 0, to: 5 } });
      const events: ChangeEvent[] = [];
      replica.subscribe((event) => events.push(event));
      expect(await replica.applyRemote([row], { policy: FIELDS })).toEqual({ applied: 0, conflicts: [] });
      expect(events).toEqual([]);
    });

    it('keeps, at a reset snapshot\'s end, a record its page brought that the replica already held as merged (chaos seed 28)', async () => {
      const { replica } = await freshFields();
      const row = fieldRow(5, { title: 'milk' }, [stamp([], 3_000)]);
      await replica.applyRemote([row, { ...row, id: 'b' }], { policy: FIELDS, cursor: { peer: PEER, from: 0, to: 6 } });
      // A push's answer brought the newer state first; the snapshot's page brings it again.
      const newer = fieldRow(7, { title: 'oat milk' }, [stamp([], 2_000)]);
      await replica.applyRemote([newer], { policy: FIELDS });
      await replica.resetPull(PEER, 'cursor-expired');
      await replica.applyRemote([newer], { policy: FIELDS, cursor: { peer: PEER, from: 0, to: 7, mark: 7 } });
      const last = await replica.applyRemote([], { policy: FIELDS, cursor: { peer: PEER, from: 7, to: 7, last: true } });
      // b was not brought: dropped; a was, though the page changed nothing in it.
      expect(last.reset).toEqual({ cause: 'cursor-expired', dropped: 1 });
      expect((await replica.list('notes')).map((r) => [r.id, r.value])).toEqual([['a', { title: 'oat milk' }]]);
    });

    it('keeps a pulled delete as a tombstone with its stamp, and a later patch brings the record back', async () => {
      const { replica } = await freshFields();
      const gone: PulledChange = { collective: 'notes', id: 'a', op: 'delete', hlc: stamp([], 5_000).hlc, source: OTHER_REPLICA, version: 2, fields: [stamp([], 5_000, { deleted: true })] };
      await replica.applyRemote([gone], { policy: FIELDS, cursor: { peer: PEER, from: 0, to: 2 } });
      expect(await replica.get('notes', 'a')).toBeUndefined();
      await replica.patch('notes', 'a', [{ path: ['done'], value: true }]);
      expect((await replica.get('notes', 'a'))?.value).toEqual({ done: true });
    });
  });
}
