/**
 * The replica contract, notes: the small facts the engine keeps beside the data (when
 * it last synced, recent refusals) survive a reopen, are shared by two store objects of
 * one database (two tabs), and are updated atomically.
 */
import { describe, expect, it } from 'vitest';
import { failureCode, type FreshReplica } from './replica-contract-fixtures.ts';

/** Registers the tests of notes. */
export function noteTests(fresh: FreshReplica): void {
  describe('notes', () => {
    it('reads undefined for a note never written, and what was written after a reopen', async () => {
      const { replica, reopen } = await fresh();
      expect(await replica.readNote('sync')).toBeUndefined();
      await replica.updateNote('sync', () => ({ lastSyncedAt: 1234, peer: 'server-1' }));
      const again = await reopen();
      expect(await again.readNote('sync')).toEqual({ lastSyncedAt: 1234, peer: 'server-1' });
    });

    it('updates from the current value: two store objects adding to one note lose nothing', async () => {
      const { replica, reopen } = await fresh();
      const other = await reopen();
      const add = (n: number) => (current: unknown) => [...(Array.isArray(current) ? current : []), n];
      await Promise.all([1, 2, 3, 4].map((n) => (n % 2 === 0 ? replica : other).updateNote('list', add(n))));
      const list = (await replica.readNote('list')) as number[];
      expect([...list].sort()).toEqual([1, 2, 3, 4]);
    });

    it('keeps a copy: changing a value after reading it changes nothing stored', async () => {
      const { replica } = await fresh();
      await replica.updateNote('n', () => ({ list: [1] }));
      const read = (await replica.readNote('n')) as { list: number[] };
      read.list.push(2);
      expect(await replica.readNote('n')).toEqual({ list: [1] });
    });

    it('refuses an empty key with INVALID_PAYLOAD, and fails DATABASE_CLOSED after close', async () => {
      const { replica } = await fresh();
      expect(await failureCode(replica.readNote(''))).toBe('INVALID_PAYLOAD');
      replica.close();
      expect(await failureCode(replica.readNote('sync'))).toBe('DATABASE_CLOSED');
      expect(await failureCode(replica.updateNote('sync', () => 1))).toBe('DATABASE_CLOSED');
    });
  });
}
