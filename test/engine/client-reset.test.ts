/**
 * A client reset never loops: a server that refuses every pull resets the replica
 * once per cause, then the run fails with the refusal's code and a `failed` reset event.
 */
import { describe, expect, it } from 'vitest';
import { SyncManager } from '../../src/engine/sync-manager.ts';
import type { ResetEvent } from '../../src/engine/types.ts';
import { ErrorCode, SyncError } from '../../src/protocol/errors.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { createSyncServer } from '../../src/server/sync-server.ts';
import { memoryDatabases, memoryReplica } from '../../src/store/memory-replica.ts';
import { memoryTransport } from '../../src/transport/memory-transport.ts';

describe('client reset', () => {
  it('resets once for a refusal, then fails with its code when the same refusal comes again', async () => {
    const inner = memoryTransport(createSyncServer({ store: memoryServerStore() }));
    let pulls = 0;
    const transport = {
      ...inner,
      pull: async (request: { cursor: number }) => {
        pulls += 1;
        throw new SyncError(ErrorCode.CURSOR_AHEAD, 'restored server', { details: { cursor: request.cursor } });
      },
    };
    const replica = await memoryReplica({ name: 'refused', databases: memoryDatabases() });
    await replica.put('notes', 'a', 1);
    const first = replica.instanceId;
    const manager = new SyncManager(replica, transport);
    const events: ResetEvent[] = [];
    manager.on('reset', (event) => events.push(event));
    await expect(manager.syncOnce()).rejects.toMatchObject({ code: ErrorCode.CURSOR_AHEAD });
    const renewed = replica.instanceId;
    expect(events).toEqual([
      { cause: 'cursor-ahead', phase: 'started', instanceId: renewed },
      { cause: 'cursor-ahead', phase: 'failed', instanceId: renewed },
    ]);
    expect(pulls).toBe(2);
    expect(renewed).not.toBe(first); // reset under a fresh id
    expect(await replica.pendingCount()).toBe(0); // the write was pushed under it before the pull
    expect(manager.status().error?.code).toBe(ErrorCode.CURSOR_AHEAD);
    await manager.stop();
  });
});
