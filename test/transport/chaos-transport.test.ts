import { describe, expect, it } from 'vitest';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import type { PullRequest, PullResponse } from '../../src/protocol/types.ts';
import { chaosTransport, type ChaosTransportOptions } from '../../src/testing/chaos-transport.ts';
import type { SyncTransport } from '../../src/transport/types.ts';

/** A transport that only counts what reaches "the server". */
function countingTransport() {
  const received: number[] = [];
  const transport: SyncTransport = {
    handshake: () => Promise.reject(new Error('unused')),
    push: () => Promise.reject(new Error('unused')),
    health: () => Promise.reject(new Error('unused')),
    pull: (request: PullRequest): Promise<PullResponse> => {
      received.push(request.cursor);
      return Promise.resolve({ changes: [], hasMore: false, newCursor: request.cursor });
    },
  };
  return { transport, received };
}

async function trace(options: ChaosTransportOptions, calls = 200) {
  const { transport, received } = countingTransport();
  const chaos = chaosTransport(transport, options);
  const outcomes: string[] = [];
  for (let i = 0; i < calls; i++) {
    try {
      await chaos.pull({ instanceId: 'x', cursor: i, batchSize: 1 });
      outcomes.push('ok');
    } catch (error) {
      outcomes.push(error instanceof SyncError ? `${error.code}:${String(error.details?.['chaos'])}` : 'other');
    }
  }
  return { outcomes, received, stats: { ...chaos.stats } };
}

const faults = { dropRequestRate: 0.2, dropResponseRate: 0.2, duplicateRate: 0.2 };

describe('chaos transport', () => {
  it('injects the same faults for the same seed', async () => {
    const first = await trace({ seed: 99, ...faults });
    const again = await trace({ seed: 99, ...faults });
    const other = await trace({ seed: 100, ...faults });
    expect(again).toEqual(first);
    expect(other.outcomes).not.toEqual(first.outcomes);
  });

  it('loses requests before the server and responses after it, and sends duplicates', async () => {
    const { outcomes, received, stats } = await trace({ seed: 5, ...faults });
    expect(stats.droppedRequests).toBeGreaterThan(10);
    expect(stats.droppedResponses).toBeGreaterThan(10);
    expect(stats.duplicated).toBeGreaterThan(10);
    expect(outcomes.filter((o) => o === 'TRANSPORT:request')).toHaveLength(stats.droppedRequests);
    expect(outcomes.filter((o) => o === 'TRANSPORT:response')).toHaveLength(stats.droppedResponses);
    // A lost request never reaches the server; a lost response did, and a duplicate twice.
    expect(received).toHaveLength(200 - stats.droppedRequests + stats.duplicated);
  });

  it('sends late copies that reach the server after newer requests, and drain() waits for them', async () => {
    const { transport, received } = countingTransport();
    const timers: (() => void)[] = [];
    const chaos = chaosTransport(transport, { seed: 8, lateDuplicateRate: 0.3, lateDuplicateDelayMs: 10, setTimeout: (callback) => void timers.push(callback) });
    for (let i = 0; i < 20; i++) await chaos.pull({ instanceId: 'x', cursor: i, batchSize: 1 });
    expect(chaos.stats.lateDuplicated).toBeGreaterThan(2);
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => i)); // no copy yet
    let drained = false;
    const draining = chaos.drain().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    for (const fire of timers) fire();
    await draining;
    expect(received).toHaveLength(20 + chaos.stats.lateDuplicated);
  });

  it('throws the configured failure code', async () => {
    const { outcomes } = await trace({ seed: 1, dropRequestRate: 1, failureCode: ErrorCode.TIMEOUT }, 3);
    expect(outcomes).toEqual(['TIMEOUT:request', 'TIMEOUT:request', 'TIMEOUT:request']);
  });

  it('passes calls straight through once faults are switched off', async () => {
    const { transport, received } = countingTransport();
    const chaos = chaosTransport(transport, { seed: 3, dropRequestRate: 1 });
    chaos.setFaults(false);
    await expect(chaos.pull({ instanceId: 'x', cursor: 1, batchSize: 1 })).resolves.toMatchObject({ newCursor: 1 });
    expect(received).toEqual([1]);
  });

  it('delays through the injected timer by a seeded amount', async () => {
    const waits: number[] = [];
    const { transport } = countingTransport();
    const chaos = chaosTransport(transport, {
      seed: 11,
      delayMs: 50,
      setTimeout: (callback, ms) => {
        waits.push(ms);
        callback();
      },
    });
    for (let i = 0; i < 20; i++) await chaos.pull({ instanceId: 'x', cursor: i, batchSize: 1 });
    expect(waits.length).toBeGreaterThan(10);
    expect(Math.max(...waits)).toBeLessThanOrEqual(50);
  });

  it('refuses rates outside [0, 1]', () => {
    expect(() => chaosTransport(countingTransport().transport, { seed: 1, duplicateRate: 2 })).toThrow(/duplicateRate/);
  });
});
