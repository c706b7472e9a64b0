/** Instance keys: only keys this server issued, for this identity and this id, pass. */
import { describe, expect, it } from 'vitest';
import { instanceKeys } from '../../../src/server/instance-keys.ts';
import { newInstanceId } from './wire-replica.ts';

const SECRET = 'a'.repeat(64);

describe('instance keys', () => {
  const keys = instanceKeys(async () => SECRET);
  const id = newInstanceId();

  it('verifies a key it issued, answering the key id (its nonce), and issues a different key each time', async () => {
    const key = await keys.issue('alice', id);
    expect(await keys.verify(key, 'alice', id)).toBe(key.split('.')[0]);
    expect(await keys.issue('alice', id)).not.toBe(key);
  });

  it('refuses a key for another identity, another id, from another secret, tampered with, or malformed', async () => {
    const key = await keys.issue('alice', id);
    const [nonce, mac] = key.split('.') as [string, string];
    const flipped = `${nonce}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
    const otherServer = await instanceKeys(async () => 'b'.repeat(64)).issue('alice', id);
    for (const [candidate, user, instance] of [
      [key, 'bob', id],
      [key, 'alice', newInstanceId()],
      [otherServer, 'alice', id],
      [flipped, 'alice', id],
      [`${nonce}.${mac}.extra`, 'alice', id],
      [`${nonce}`, 'alice', id],
      ['not a key', 'alice', id],
      [`${nonce}.${mac}==`, 'alice', id],
    ] as const) {
      expect(await keys.verify(candidate, user, instance), candidate).toBeUndefined();
    }
  });

  it('asks the store for its secret again after a failure', async () => {
    let calls = 0;
    const flaky = instanceKeys(async () => {
      calls++;
      if (calls === 1) throw new Error('database away');
      return SECRET;
    });
    await expect(flaky.issue('alice', id)).rejects.toThrow('database away');
    const key = await flaky.issue('alice', id);
    expect(await keys.verify(key, 'alice', id)).toBeDefined();
  });
});
