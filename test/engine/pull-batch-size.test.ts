/**
 * `pullBatchSize`: the changes a pull asks for, apart from the push batch. Its default
 * is measured (README, Performance); an app that sets only `batchSize` keeps its pulls
 * that size, as before the option existed.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SYNC_CONFIG, validateConfig } from '../../src/engine/config.ts';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import type { PullRequest, PushRequest } from '../../src/protocol/types.ts';
import { connect, memoryTransport, newReplica, newServer, scriptedTransport } from './fixtures.ts';

function refusal(input: unknown): SyncError | undefined {
  try {
    validateConfig(input);
  } catch (error) {
    if (error instanceof SyncError) return error;
    throw error;
  }
  return undefined;
}

describe('pullBatchSize', () => {
  it('defaults to 2000 pulls beside 500 pushes', () => {
    expect(DEFAULT_SYNC_CONFIG).toMatchObject({ batchSize: 500, pullBatchSize: 2000 });
    expect(validateConfig({})).toMatchObject({ batchSize: 500, pullBatchSize: 2000 });
  });

  it('follows batchSize when only that is given, and stands apart when given', () => {
    expect(validateConfig({ batchSize: 50 })).toMatchObject({ batchSize: 50, pullBatchSize: 50 });
    expect(validateConfig({ batchSize: 50, pullBatchSize: 5000 })).toMatchObject({ batchSize: 50, pullBatchSize: 5000 });
    expect(validateConfig({ pullBatchSize: 100 })).toMatchObject({ batchSize: 500, pullBatchSize: 100 });
  });

  it.each([
    [{ pullBatchSize: 0 }, 'config.pullBatchSize must be a positive integer, got 0'],
    [{ pullBatchSize: 10_001 }, 'config.pullBatchSize must be at most 10000, got 10001'],
    [{ pullBatchSize: '2000' }, 'config.pullBatchSize must be a positive integer, got "2000"'],
  ])('refuses %j', (input, message) => {
    const error = refusal(input);
    expect(error?.code).toBe(ErrorCode.INVALID_CONFIG);
    expect(error?.message).toBe(message);
    expect(error?.details).toEqual({ field: 'config.pullBatchSize' });
  });

  it('pulls pullBatchSize changes a request and pushes batchSize', async () => {
    const { server } = newServer();
    const writer = await newReplica();
    await writer.replica.putMany(Array.from({ length: 25 }, (_, i) => ({ collective: 'notes', id: `n${i}`, value: i })));
    await connect(writer.replica, memoryTransport(server)).syncOnce();

    const reader = await newReplica();
    await reader.replica.putMany(Array.from({ length: 7 }, (_, i) => ({ collective: 'mine', id: `m${i}`, value: i })));
    const scripted = scriptedTransport(memoryTransport(server));
    await connect(reader.replica, scripted.transport, { batchSize: 3, pullBatchSize: 10 }).syncOnce();
    const pulls = scripted.callsOf('pull').map((c) => c.request as PullRequest);
    const pushes = scripted.callsOf('push').map((c) => c.request as PushRequest);
    expect(pushes.map((p) => p.changes.length)).toEqual([3, 3, 1]);
    expect(pulls.every((p) => p.batchSize === 10)).toBe(true);
    expect(pulls.length).toBeGreaterThanOrEqual(3); // 25 theirs (and 7 echoes skipped), 10 a page
    expect(await reader.replica.list('notes')).toHaveLength(25);
  });
});
