/**
 * The memory replica: the LocalStore contract, then what only it can show — its data
 * lives in the `MemoryDatabases` it was opened in, and values are copies both ways.
 */
import { describe, expect, it } from 'vitest';
import { memoryDatabases, memoryReplica } from '../../src/store/memory-replica.ts';
import { failureCode, runReplicaContract } from '../../src/testing/replica-contract.ts';

const databases = memoryDatabases();
runReplicaContract((name) => memoryReplica({ name, databases }), 'memory replica');

describe('memory replica', () => {
  it('shares a database by name within one MemoryDatabases, and only there', async () => {
    const here = memoryDatabases();
    const first = await memoryReplica({ name: 'notes', databases: here });
    await first.put('c', 'a', 1);
    const second = await memoryReplica({ name: 'notes', databases: here });
    expect(second.instanceId).toBe(first.instanceId);
    expect((await second.get('c', 'a'))?.value).toBe(1);

    const elsewhere = await memoryReplica({ name: 'notes', databases: memoryDatabases() });
    expect(elsewhere.instanceId).not.toBe(first.instanceId);
    expect(await elsewhere.get('c', 'a')).toBeUndefined();
    expect(here.names()).toEqual(['notes']);
  });

  it('stores a copy: changing a value after put or after get changes nothing stored', async () => {
    const replica = await memoryReplica({ name: 'copies', databases: memoryDatabases() });
    const value = { tags: ['x'] };
    await replica.put('c', 'a', value);
    value.tags.push('changed after put');
    const read = await replica.get('c', 'a');
    (read?.value as { tags: string[] }).tags.push('changed after get');
    const pending = await replica.pendingChanges(1);
    (pending[0]?.value as { tags: string[] }).tags.push('changed in the log copy');
    expect((await replica.get('c', 'a'))?.value).toEqual({ tags: ['x'] });
    expect((await replica.pendingChanges(1))[0]?.value).toEqual({ tags: ['x'] });
  });

  it('stamps writes on its injected clock', async () => {
    const replica = await memoryReplica({ name: 'clock', databases: memoryDatabases(), now: () => 1_700_000_000_000 });
    await replica.put('c', 'a', 1);
    expect((await replica.get('c', 'a'))?.hlc.startsWith('001700000000000:')).toBe(true);
  });

  it('refuses a name and databases it cannot use', async () => {
    expect(await failureCode(memoryReplica({ name: '' }))).toBe('INVALID_CONFIG');
    expect(await failureCode(memoryReplica({ name: 'x', databases: { names: () => [] } }))).toBe('INVALID_CONFIG');
  });
});
