/**
 * Field-level records are opt-in code in the replica (`ReplicaOptions.fields`): without
 * them the IndexedDB replica keeps whole records, has no `patch` or `explain`, and
 * refuses the field policy; with them it checks every stamp before it merges with one.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { FieldStamp, PulledChange } from '../../src/protocol/types.ts';
import { fieldStore } from '../../src/store/field-seam.ts';
import { openReplica } from '../../src/store/idb-replica.ts';
import { replicaFields } from '../../src/store/replica-fields.ts';
import { failureCode, pulled } from '../../src/testing/replica-contract.ts';

const FIELDS = 'field-last-write-wins';
const PEER = 'server-1';

/** A pulled field-level state of `notes/a` with `fields` as its stamps. */
function stamped(fields: unknown[]): PulledChange {
  return { ...pulled('notes', 'a', 3, { value: { title: 'x' } }), fields: fields as FieldStamp[] };
}

describe('a replica without field-level records', () => {
  it('has no patch or explain, and refuses the field policy naming what to give it', async () => {
    const replica = await openReplica({ name: 'plain', indexedDB: new IDBFactory(), IDBKeyRange });
    expect([replica.patch, replica.explain]).toEqual([undefined, undefined]);
    expect(() => fieldStore(replica, 'patch')).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringContaining('openReplica({ fields: replicaFields })') }));
    expect(await failureCode(replica.applyRemote([pulled('notes', 'a', 1)], { policy: FIELDS }))).toBe('INVALID_CONFIG');
    // Whole records as before, stamps stored with the record as they came and never shown.
    await replica.applyRemote([stamped([{ any: 'thing' }])], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 3 } });
    expect(await replica.get('notes', 'a')).toEqual({ collective: 'notes', id: 'a', value: { title: 'x' }, hlc: expect.any(String), source: expect.any(String), version: 3 });
    replica.close();
  });
});

describe('a replica with field-level records', () => {
  it('fails a pulled batch whose stamps are malformed, naming the record, and writes nothing of it', async () => {
    const replica = await openReplica({ name: 'fields', indexedDB: new IDBFactory(), IDBKeyRange, fields: replicaFields });
    const bad = stamped([{ path: 'title', hlc: 'x', source: 'y' }]);
    await expect(replica.applyRemote([bad], { policy: FIELDS, cursor: { peer: PEER, from: 0, to: 3 } })).rejects.toMatchObject({
      code: 'INVALID_PAYLOAD',
      message: expect.stringContaining('Invalid pulled change: notes/a.fields.0.path'),
    });
    expect(await replica.get('notes', 'a')).toBeUndefined();
    expect(await replica.pullCursor(PEER)).toBe(0);
    replica.close();
  });

  it('reads a record whose stamps were stored unchecked (by a replica without them) as written whole', async () => {
    const factory = new IDBFactory();
    const plain = await openReplica({ name: 'shared', indexedDB: factory, IDBKeyRange });
    await plain.applyRemote([stamped([{ any: 'thing' }])], { policy: 'last-write-wins', cursor: { peer: PEER, from: 0, to: 3 } });
    plain.close();
    const replica = fieldStore(await openReplica({ name: 'shared', indexedDB: factory, IDBKeyRange, fields: replicaFields }), 'test');
    await replica.patch('notes', 'a', { done: true });
    expect((await replica.get('notes', 'a'))?.value).toEqual({ title: 'x', done: true });
    expect((await replica.explain('notes', 'a')).fields.map((stamp) => stamp.path)).toEqual([[], ['done']]);
    replica.close();
  });
});
