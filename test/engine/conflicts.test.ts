import { describe, expect, it } from 'vitest';
import type { ConflictInfo, ConflictResolver, SyncConfigInput } from '../../src/engine/types.ts';
import { connect, memoryTransport, newReplica, newServer } from './fixtures.ts';

/**
 * Two replicas on one wall clock that moves only with `later()`: a write after
 * `later()` is later on the hybrid logical clock, whatever the machine's speed (in the
 * same millisecond, timestamps would tie and the instance ids decide).
 */
async function twoReplicas() {
  const { server } = newServer();
  let wallMs = Date.now();
  const now = () => wallMs;
  const a = await newReplica(undefined, { now });
  const b = await newReplica(undefined, { now });
  return { server, a: a.replica, b: b.replica, later: () => void (wallMs += 1) };
}

/** A resolver that merges the `tags` arrays of both sides. */
const unionOfTags: ConflictResolver = ({ local, remote }) => {
  const tagsOf = (value: unknown) => (value as { tags?: string[] } | undefined)?.tags ?? [];
  return { value: { tags: [...new Set([...tagsOf(local.value), ...tagsOf(remote?.value)])].sort() } };
};

/** Two server-wins replicas that both hold notes/x at the server's first version. */
async function serverWinsPair(extra: SyncConfigInput = {}) {
  const { server, a, b } = await twoReplicas();
  const config: SyncConfigInput = { conflictResolution: 'server-wins', ...extra };
  const syncA = connect(a, memoryTransport(server), config);
  const syncB = connect(b, memoryTransport(server), config);
  await a.put('notes', 'x', { v: 0, tags: [] });
  await syncA.syncOnce();
  await syncB.syncOnce();
  return { server, a, b, syncA, syncB, config };
}

describe('conflicts', () => {
  it('last-write-wins: both replicas converge on the later write and the loser hears why', async () => {
    const { server, a, b, later } = await twoReplicas();
    const syncA = connect(a, memoryTransport(server));
    const syncB = connect(b, memoryTransport(server));
    await a.put('notes', 'x', { by: 'a' });
    later(); // b's write is later on the clock
    await b.put('notes', 'x', { by: 'b' });
    const conflictsA: ConflictInfo[] = [];
    syncA.on('conflict', (c) => conflictsA.push(c));
    await syncB.syncOnce();
    await syncA.syncOnce();
    await syncB.syncOnce();
    expect((await a.get('notes', 'x'))?.value).toEqual({ by: 'b' });
    expect((await b.get('notes', 'x'))?.value).toEqual({ by: 'b' });
    expect(conflictsA.length).toBeGreaterThan(0);
    expect(conflictsA[0]).toMatchObject({ collective: 'notes', id: 'x', policy: 'last-write-wins', outcome: 'remote', local: { op: 'put', value: { by: 'a' } } });
    expect(conflictsA[0]?.reason).toMatch(/later/);
  });

  it("server-wins: a change based on a stale version is refused and the replica takes the server's record", async () => {
    const { a, b, syncA, syncB } = await serverWinsPair();
    await a.put('notes', 'x', { by: 'a' });
    await b.put('notes', 'x', { by: 'b' });
    await syncA.syncOnce(); // a reaches the server first
    const conflictsB: ConflictInfo[] = [];
    syncB.on('conflict', (c) => conflictsB.push(c));
    await syncB.syncOnce();
    await syncA.syncOnce();
    expect((await b.get('notes', 'x'))?.value).toEqual({ by: 'a' });
    expect((await a.get('notes', 'x'))?.value).toEqual({ by: 'a' });
    expect(await b.pendingCount()).toBe(0);
    expect(conflictsB).toHaveLength(1);
    expect(conflictsB[0]).toMatchObject({ policy: 'server-wins', outcome: 'remote', remote: { value: { by: 'a' } } });
    expect(conflictsB[0]?.reason).toMatch(/server's version v\d+, newer/);
  });

  it('server-wins: a later local write survives the refusal of an earlier stale one', async () => {
    const { server, a, b, syncA, syncB, config } = await serverWinsPair();
    await a.put('notes', 'x', { by: 'a', try: 1 }); // based on v1: will be stale
    await b.put('notes', 'x', { by: 'b' });
    await syncB.syncOnce();
    await connect(a, memoryTransport(server), { ...config, direction: 'pull-only' }).syncOnce(); // a catches up…
    await a.put('notes', 'x', { by: 'a', try: 2 }); // …and writes again, based on b's version
    const outcomes: string[] = [];
    syncA.on('conflict', (c) => outcomes.push(c.outcome));
    await syncA.syncOnce(); // pushes both: the first is refused, the second accepted
    await syncB.syncOnce();
    expect(outcomes).toEqual(['local']);
    expect((await a.get('notes', 'x'))?.value).toEqual({ by: 'a', try: 2 });
    expect((await b.get('notes', 'x'))?.value).toEqual({ by: 'a', try: 2 });
  });

  it('a custom resolver merges, and the merge wins on every replica', async () => {
    const { server, a, b, later } = await twoReplicas();
    const syncA = connect(a, memoryTransport(server), { resolver: unionOfTags });
    const syncB = connect(b, memoryTransport(server), { resolver: unionOfTags });
    await a.put('notes', 'x', { tags: ['red'] });
    later();
    await b.put('notes', 'x', { tags: ['blue'] });
    const outcomes: string[] = [];
    syncA.on('conflict', (c) => outcomes.push(c.outcome));
    syncB.on('conflict', (c) => outcomes.push(c.outcome));
    // b's later write reaches the server first; a's older one then meets it.
    for (let round = 0; round < 3; round++) {
      await syncB.syncOnce();
      await syncA.syncOnce();
    }
    const merged = { tags: ['blue', 'red'] };
    expect((await a.get('notes', 'x'))?.value).toEqual(merged);
    expect((await b.get('notes', 'x'))?.value).toEqual(merged);
    expect(outcomes).toContain('merged');
    expect(await a.pendingCount()).toBe(0);
    expect(await b.pendingCount()).toBe(0);
  });

  it('server-wins with a resolver: the merge is written and reaches every replica', async () => {
    const { a, b, syncA, syncB } = await serverWinsPair({ resolver: unionOfTags });
    await a.put('notes', 'x', { tags: ['red'] });
    await b.put('notes', 'x', { tags: ['blue'] });
    await syncB.syncOnce(); // b's change is accepted; a's is now stale
    const outcomes: string[] = [];
    syncA.on('conflict', (c) => outcomes.push(c.outcome));
    for (let round = 0; round < 3; round++) {
      await syncA.syncOnce();
      await syncB.syncOnce();
    }
    const merged = { tags: ['blue', 'red'] };
    expect(outcomes[0]).toBe('merged');
    expect((await a.get('notes', 'x'))?.value).toEqual(merged);
    expect((await b.get('notes', 'x'))?.value).toEqual(merged);
    expect(await a.pendingCount()).toBe(0);
  });

  it('server-wins with a resolver that keeps the local side: the refused value is written again and wins', async () => {
    const { a, b, syncA, syncB } = await serverWinsPair({ resolver: () => 'local' });
    await a.put('notes', 'x', { by: 'a' });
    await b.put('notes', 'x', { by: 'b' });
    await syncB.syncOnce();
    for (let round = 0; round < 3; round++) {
      await syncA.syncOnce();
      await syncB.syncOnce();
    }
    expect((await a.get('notes', 'x'))?.value).toEqual({ by: 'a' });
    expect((await b.get('notes', 'x'))?.value).toEqual({ by: 'a' });
    expect(await a.pendingCount()).toBe(0);
  });
});
